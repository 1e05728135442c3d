// Package bundlegen writes the generated bundles that the benchmarks and
// the fault tests apply: Namespaces, then Deployments, Services and
// Ingresses spread over them, and ConfigMaps, in one multi-document file,
// with the list of the objects it holds to check the cluster against.
package bundlegen
