package apply

import "k8s.io/apimachinery/pkg/runtime/schema"

// Stages, applied in order; the objects of one stage are written in
// parallel. The order follows what each kind needs to exist first:
// namespaces and CRDs before anything in them, roles before their
// bindings, Services before workloads (their environment variables),
// Ingresses after their backends, and admission webhooks last, because a
// webhook whose backend is not yet running would reject everything after
// it.
const (
	stageDefinitions = iota // Namespaces and CRDs, then wait for CRDs
	stageClusterSettings
	stageBindings
	stageWorkloads
	stageRouting
	stageAdmission
	numStages
)

var stageOfKind = map[schema.GroupKind]int{
	{Group: "", Kind: "Namespace"}:                                                    stageDefinitions,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 stageDefinitions,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               stageClusterSettings,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   stageClusterSettings,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                stageClusterSettings,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      stageClusterSettings,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         stageClusterSettings,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:                                stageClusterSettings,
	{Group: "", Kind: "ResourceQuota"}:                                                stageClusterSettings,
	{Group: "", Kind: "LimitRange"}:                                                   stageClusterSettings,
	{Group: "", Kind: "ServiceAccount"}:                                               stageClusterSettings,
	{Group: "", Kind: "ConfigMap"}:                                                    stageClusterSettings,
	{Group: "", Kind: "Secret"}:                                                       stageClusterSettings,
	{Group: "", Kind: "PersistentVolume"}:                                             stageClusterSettings,
	{Group: "", Kind: "PersistentVolumeClaim"}:                                        stageClusterSettings,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:                               stageClusterSettings,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  stageBindings,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:                         stageBindings,
	{Group: "", Kind: "Service"}:                                                      stageBindings,
	{Group: "networking.k8s.io", Kind: "Ingress"}:                                     stageRouting,
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}:                           stageRouting,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     stageAdmission,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   stageAdmission,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        stageAdmission,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: stageAdmission,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          stageAdmission,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   stageAdmission,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             stageAdmission,
}

// stageOf returns the stage of a kind; everything not listed (workloads,
// custom resources, kinds kapply has never heard of) is a workload.
func stageOf(gk schema.GroupKind) int {
	if s, ok := stageOfKind[gk]; ok {
		return s
	}
	return stageWorkloads
}

var (
	namespaceGK = schema.GroupKind{Kind: "Namespace"}
	crdGK       = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
)
