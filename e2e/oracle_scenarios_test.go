//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// Manifests of the scenarios; {{NS}} is the twin's namespace.
const (
	oracleCM = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {{NS}}
  labels:
    app: shop
    tier: front
data:
  mode: demo
  level: debug
`
	oracleDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {{NS}}
  labels:
    app: web
    tier: front
  annotations:
    team: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - name: MODE
          value: demo
        - name: LEVEL
          value: debug
        ports:
        - containerPort: 80
      - name: sidecar
        image: envoy:1.30
`
	oracleService = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {{NS}}
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 8080
`
	oracleJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: {{NS}}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:1.36
`
	oracleSecret = `apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: {{NS}}
stringData:
  user: admin
  token: not-a-real-token
`
	oracleWidget = `apiVersion: {{NS}}.oracle.dev/v1
kind: Widget
metadata:
  name: w
  namespace: {{NS}}
spec:
  size: 2
  color: red
`
)

// clusterRoleWithNamespace is a cluster-scoped object that names a
// namespace.
const clusterRoleWithNamespace = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{NS}}-reader
  namespace: {{NS}}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
`

// indentItem makes a manifest an item of a List.
func indentItem(manifest string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(manifest, "\n"), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = "- " + lines[i]
		} else {
			lines[i] = "  " + lines[i]
		}
	}
	return strings.Join(lines, "") + "\n"
}

var (
	oracleCRD      = plainCRD("{{NS}}.oracle.dev", "Widget", "widgets")
	clusterRoleRef = oracleRef{gvr: schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, name: "{{NS}}-reader", clusterScoped: true}
	cmRef          = oracleRef{gvr: testcluster.ConfigMapsGVR, name: "settings"}
	deployRef      = oracleRef{gvr: testcluster.DeploymentsGVR, name: "web"}
	svcRef         = oracleRef{gvr: schema.GroupVersionResource{Version: "v1", Resource: "services"}, name: "web"}
	jobRef         = oracleRef{gvr: jobsGVR, name: "migrate"}
	secretRef      = oracleRef{gvr: schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, name: "creds"}
	crdRef         = oracleRef{gvr: testcluster.CRDsGVR, name: "widgets.{{NS}}.oracle.dev", clusterScoped: true}
	newNSRef       = oracleRef{gvr: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, name: "{{NS}}-new", clusterScoped: true}
)

// without returns s less the lines that hold any of drop (whole lines).
func without(s string, drop ...string) string {
	var out []string
	for _, line := range strings.SplitAfter(s, "\n") {
		keep := true
		for _, d := range drop {
			if strings.TrimSpace(line) == strings.TrimSpace(d) {
				keep = false
			}
		}
		if keep {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// clientSideApply is kubectl apply (client-side) by another actor.
func clientSideApply(manifest string) func(t *testing.T, kc, ns string) {
	return func(t *testing.T, kc, ns string) {
		mustKubectl(t, kc, strings.ReplaceAll(manifest, "{{NS}}", ns), "apply", "-f", "-")
	}
}

// scaledBy sets the Deployment's replicas through /scale, as an HPA does.
func scaledBy(replicas int64) func(t *testing.T, kc, ns string) {
	return func(t *testing.T, kc, ns string) { scaleAs(t, kc, ns, "web", "horizontal-pod-autoscaler", replicas) }
}

// exported is `kubectl get -o yaml` of the ConfigMap, with a change made
// by hand, as users re-apply exports.
func exported(t *testing.T, kc, ns string) string {
	out := mustKubectl(t, kc, "", "get", "configmap", "settings", "-n", ns, "-o", "yaml")
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatal(err)
	}
	obj["data"].(map[string]any)["mode"] = "exported"
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exportedWithManagedFields is `kubectl get -o yaml
// --show-managed-fields`, with a change.
func exportedWithManagedFields(t *testing.T, kc, ns string) string {
	out := mustKubectl(t, kc, "", "get", "configmap", "settings", "-n", ns, "-o", "yaml", "--show-managed-fields")
	return strings.Replace(out, "mode: demo", "mode: exported", 1)
}

// staleExport is an export of the ConfigMap made before someone else
// changed it: its resourceVersion is out of date.
func staleExport(t *testing.T, kc, ns string) string {
	out := exported(t, kc, ns)
	labelledBy("ops")(t, kc, ns)
	return out
}

// labelledBy adds a label with another field manager (a controller, a
// person with kubectl label).
func labelledBy(manager string) func(t *testing.T, kc, ns string) {
	return func(t *testing.T, kc, ns string) {
		patch := []byte(`{"metadata":{"labels":{"owner":"` + manager + `"}}}`)
		if _, err := testcluster.Dynamic(t, kc).Resource(testcluster.ConfigMapsGVR).Namespace(ns).Patch(context.Background(), "settings", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: manager}); err != nil {
			t.Fatal(err)
		}
	}
}

func by(manifest string, args ...string) oracleStep {
	return oracleStep{manifest: manifest, args: args}
}

// oracleScenarios are the user paths of issue 12 I, in the modes they
// apply to.
func oracleScenarios() []oracleScenario {
	all := bundle(oracleCM, oracleDeploy, oracleService)
	cmLess := without(oracleCM, "level: debug", "tier: front")
	deployLess := strings.Replace(without(oracleDeploy, "tier: front", "team: shop"), "        - name: LEVEL\n          value: debug\n", "", 1)
	deployLess = strings.Replace(deployLess, "      - name: sidecar\n        image: envoy:1.30\n", "", 1)
	deployNoEnv := strings.Replace(oracleDeploy, "        - name: LEVEL\n          value: debug\n", "", 1)
	var out []oracleScenario
	for _, mode := range []oracleMode{oracleApply, oracleUpdate} {
		m := string(mode) + ": "
		out = append(out,
			oracleScenario{name: m + "first apply", mode: mode, steps: []oracleStep{by(all)}, objects: []oracleRef{cmRef, deployRef, svcRef}},
			oracleScenario{name: m + "unchanged re-apply", mode: mode, steps: []oracleStep{by(all), by(all)}, objects: []oracleRef{cmRef, deployRef, svcRef}},
			oracleScenario{name: m + "fields removed", mode: mode, steps: []oracleStep{by(all), by(bundle(cmLess, without(oracleDeploy, "tier: front", "team: shop")))}, objects: []oracleRef{cmRef, deployRef}},
			oracleScenario{name: m + "list items removed", mode: mode, steps: []oracleStep{by(oracleDeploy), by(deployLess)}, objects: []oracleRef{deployRef}},
			oracleScenario{name: m + "one list item of many removed", mode: mode, steps: []oracleStep{by(oracleDeploy), by(deployNoEnv)}, objects: []oracleRef{deployRef}},
			oracleScenario{name: m + "kubectl apply (client-side), then the tool, then a field removed", mode: mode, steps: []oracleStep{
				{setup: clientSideApply(bundle(oracleCM, oracleDeploy))}, by(bundle(oracleCM, oracleDeploy)), by(bundle(cmLess, deployLess)),
			}, objects: []oracleRef{cmRef, deployRef}},
			oracleScenario{name: m + "the tool, then kubectl apply (client-side) with a field removed", mode: mode, steps: []oracleStep{
				by(oracleCM), {setup: clientSideApply(cmLess)}, by(cmLess),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "a label another manager added survives", mode: mode, steps: []oracleStep{
				by(oracleCM), {setup: labelledBy("ops")}, by(without(oracleCM, "level: debug")),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "Deployment scaled through /scale, manifest without replicas", mode: mode, steps: []oracleStep{
				by(oracleDeploy), {setup: scaledBy(3)}, by(deployNoEnv),
			}, objects: []oracleRef{deployRef}},
			oracleScenario{name: m + "Job re-applied unchanged", mode: mode, steps: []oracleStep{by(oracleJob), by(oracleJob)}, objects: []oracleRef{jobRef}},
			oracleScenario{name: m + "Job re-applied changed (immutable template)", mode: mode, steps: []oracleStep{
				by(oracleJob), by(strings.Replace(oracleJob, "busybox:1.36", "busybox:1.37", 1)),
			}, objects: []oracleRef{jobRef}},
			oracleScenario{name: m + "Service whose clusterIP the server set", mode: mode, steps: []oracleStep{
				by(oracleService), by(strings.Replace(oracleService, "targetPort: 8080", "targetPort: 8081", 1)),
			}, objects: []oracleRef{svcRef}},
			oracleScenario{name: m + "Secret with stringData, a key dropped", mode: mode, steps: []oracleStep{
				by(oracleSecret), by(without(oracleSecret, "token: not-a-real-token")),
			}, objects: []oracleRef{secretRef}},
			oracleScenario{name: m + "a manifest with a status", mode: mode, steps: []oracleStep{
				by(oracleDeploy + "status:\n  replicas: 5\n  readyReplicas: 5\n"),
			}, objects: []oracleRef{deployRef}},
			oracleScenario{name: m + "a manifest exported with kubectl get -o yaml", mode: mode, steps: []oracleStep{
				by(oracleCM), {manifestFn: exported},
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "-n versus another namespace in the document", mode: mode, steps: []oracleStep{
				by(strings.Replace(oracleCM, "namespace: {{NS}}", "namespace: elsewhere", 1), "-n", "{{NS}}"),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "-n for a document without a namespace", mode: mode, steps: []oracleStep{
				by(without(oracleCM, "namespace: {{NS}}"), "-n", "{{NS}}"),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "a field set to null", mode: mode, steps: []oracleStep{
				by(oracleCM), by(strings.Replace(oracleCM, "level: debug", "level: null", 1)),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "a manifest exported with managedFields", mode: mode, steps: []oracleStep{
				by(oracleCM), {manifestFn: exportedWithManagedFields},
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "a stale export (its resourceVersion moved since)", mode: mode, steps: []oracleStep{
				by(oracleCM), {manifestFn: staleExport},
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "an object whose annotations would pass 262,144 bytes client-side", mode: mode, steps: []oracleStep{
				by(strings.Replace(oracleCM, "level: debug", "level: "+strings.Repeat("x", 270_000), 1)),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "a value of the wrong type", mode: mode, steps: []oracleStep{
				by(strings.Replace(oracleCM, "level: debug", "level: 3", 1)),
			}, objects: []oracleRef{cmRef}},
			oracleScenario{name: m + "an unknown field, and a valid object beside it", mode: mode, steps: []oracleStep{
				by(bundle(strings.Replace(oracleCM, "\ndata:", "\nspec:\n  x: 1\ndata:", 1), oracleService)),
			}, objects: []oracleRef{cmRef, svcRef}},
			oracleScenario{name: m + "a document without a name, and a valid object beside it", mode: mode, steps: []oracleStep{
				by(bundle(without(oracleCM, "name: settings"), oracleService)), // both fail, kubectl after applying the Service
			}, objects: []oracleRef{svcRef}, differs: "An invalid document among valid ones"},
			oracleScenario{name: m + "a List of objects", mode: mode, steps: []oracleStep{
				by("apiVersion: v1\nkind: List\nitems:\n" + indentItem(oracleCM) + indentItem(oracleService)),
			}, objects: []oracleRef{cmRef, svcRef}},
			oracleScenario{name: m + "the same object twice in one bundle", mode: mode, steps: []oracleStep{
				{manifest: bundle(oracleCM, without(oracleCM, "level: debug")), differs: "The same object twice"},
			}, objects: []oracleRef{cmRef}, differs: "The same object twice"},
			oracleScenario{name: m + "a cluster-scoped object with a namespace", mode: mode, steps: []oracleStep{
				{manifest: clusterRoleWithNamespace, differs: "A cluster-scoped object with a namespace"},
			}, objects: []oracleRef{clusterRoleRef}, differs: "A cluster-scoped object with a namespace"},
			oracleScenario{name: m + "an empty input", mode: mode, steps: []oracleStep{
				{manifest: "# nothing here\n", differs: "An empty input"},
			}},
			oracleScenario{name: m + "a new Namespace with --dry-run=server", mode: mode, steps: []oracleStep{
				{manifest: bundle("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{NS}}-new\n", strings.Replace(oracleCM, "namespace: {{NS}}", "namespace: {{NS}}-new", 1)),
					args: []string{"--dry-run=server"}, differs: "A server-side dry run of a new Namespace or CRD"},
			}, objects: []oracleRef{newNSRef}},
			oracleScenario{name: m + "a shell glob after -f (-f a.yaml b.yaml --dry-run=server)", mode: mode, steps: []oracleStep{{
				files: map[string]string{"a.yaml": oracleCM, "b.yaml": oracleService},
				args:  []string{"-f", "{{DIR}}/a.yaml", "{{DIR}}/b.yaml", "--dry-run=server"},
			}}, objects: []oracleRef{cmRef, svcRef}},
		)
	}
	out = append(out,
		oracleScenario{name: "apply: a custom resource of a CRD in the same bundle", mode: oracleApply, steps: []oracleStep{
			{manifest: bundle(oracleCRD, oracleWidget), differs: "CRDs and their custom resources in one bundle"},
			by(bundle(oracleCRD, oracleWidget)),
		}, objects: []oracleRef{crdRef}},
		oracleScenario{name: "update: a custom resource of a CRD in the same bundle", mode: oracleUpdate, steps: []oracleStep{
			{manifest: bundle(oracleCRD, oracleWidget), differs: "CRDs and their custom resources in one bundle"},
			by(bundle(oracleCRD, strings.Replace(oracleWidget, "  color: red\n", "", 1))),
		}, objects: []oracleRef{crdRef}},
		oracleScenario{name: "create: an object with generateName", mode: oracleCreate, steps: []oracleStep{
			{manifest: strings.Replace(oracleCM, "name: settings", "generateName: settings-", 1), differs: "metadata.generateName"},
		}},
		oracleScenario{name: "create: first create", mode: oracleCreate, steps: []oracleStep{by(all)}, objects: []oracleRef{cmRef, deployRef, svcRef}},
		oracleScenario{name: "create: an object that exists", mode: oracleCreate, steps: []oracleStep{by(oracleCM), by(bundle(without(oracleCM, "level: debug"), oracleService))}, objects: []oracleRef{cmRef, svcRef}},
	)
	return out
}

func TestKubectlOracle(t *testing.T) {
	env := oracleEnv{kc: testcluster.Kubeconfig(t), readme: readREADME(t), kubectlCache: t.TempDir(), kapplyCache: t.TempDir()}
	for i, sc := range oracleScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel() // each scenario has namespaces (and cluster-scoped names) of its own
			runOracleScenario(t, env, i+1, sc)
		})
	}
}
