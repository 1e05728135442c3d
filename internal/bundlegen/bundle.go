package bundlegen

import (
	"fmt"
	"strings"
)

// Spec describes a generated bundle: Namespaces namespaces named
// Prefix-0...; PerKind each of Deployment, Service and Ingress (app-0...)
// and ConfigMaps ConfigMaps (config-0...) spread over them round-robin.
// Prefix keeps the namespaces of different runs apart.
type Spec struct {
	Prefix     string
	Namespaces int
	PerKind    int
	ConfigMaps int
	// Replicas of each Deployment. 0 keeps a cluster with controllers
	// busy (the deployment controller still writes every Deployment's
	// status) without filling its nodes with pods.
	Replicas int
}

// Sized is the benchmark bundle of exactly n objects (n >= 100, issue 8):
// one Namespace per 100 objects, the rest split evenly between
// Deployments (one replica), Services, Ingresses and ConfigMaps.
func Sized(prefix string, n int) Spec {
	namespaces := n / 100
	perKind := (n - namespaces) / 4
	return Spec{Prefix: prefix, Namespaces: namespaces, PerKind: perKind, ConfigMaps: n - namespaces - 3*perKind, Replicas: 1}
}

// Object names one object of a bundle.
type Object struct {
	Group     string
	Kind      string
	Namespace string
	Name      string
}

func (s Spec) namespace(i int) string { return fmt.Sprintf("%s-%d", s.Prefix, i%s.Namespaces) }

// Objects lists the bundle's objects, in the order of YAML.
func (s Spec) Objects() []Object {
	var out []Object
	for n := 0; n < s.Namespaces; n++ {
		out = append(out, Object{Kind: "Namespace", Name: s.namespace(n)})
	}
	for i := 0; i < s.PerKind; i++ {
		ns, name := s.namespace(i), fmt.Sprintf("app-%d", i)
		out = append(out,
			Object{Group: "apps", Kind: "Deployment", Namespace: ns, Name: name},
			Object{Kind: "Service", Namespace: ns, Name: name},
			Object{Group: "networking.k8s.io", Kind: "Ingress", Namespace: ns, Name: name})
	}
	for i := 0; i < s.ConfigMaps; i++ {
		out = append(out, Object{Kind: "ConfigMap", Namespace: s.namespace(i), Name: fmt.Sprintf("config-%d", i)})
	}
	return out
}

// YAML writes the bundle as one multi-document file.
func (s Spec) YAML() string {
	var b strings.Builder
	for n := 0; n < s.Namespaces; n++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n", s.namespace(n))
	}
	for i := 0; i < s.PerKind; i++ {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: %[2]s
  labels: {app: %[1]s}
spec:
  replicas: %[3]d
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  selector: {app: %[1]s}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  rules:
  - host: %[1]s.%[2]s.localhost
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: %[1]s
            port: {number: 80}
`, fmt.Sprintf("app-%d", i), s.namespace(i), s.Replicas)
	}
	for i := 0; i < s.ConfigMaps; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-%[1]d
  namespace: %[2]s
data:
  app.properties: |
    name=config-%[1]d
    replicas=1
  log-level: info
`, i, s.namespace(i))
	}
	return b.String()
}

// Revise returns bundle with every tenth document given the annotation
// kapply.dev/bench-rev: rev, a change that a re-apply writes.
func Revise(bundle, rev string) string {
	docs := strings.Split(bundle, "---\n")
	n := 0
	for i, d := range docs {
		if d == "" {
			continue
		}
		if n%10 == 0 {
			docs[i] = strings.Replace(d, "metadata:\n", fmt.Sprintf("metadata:\n  annotations: {kapply.dev/bench-rev: %q}\n", rev), 1)
		}
		n++
	}
	return strings.Join(docs, "---\n")
}
