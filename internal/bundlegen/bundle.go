//go:build bench

package main

import (
	"fmt"
	"strings"
)

// generateSizedBundle writes a bundle of exactly n objects (n >= 100):
// one Namespace per 100 objects, the rest split evenly between
// Deployments, Services, Ingresses and ConfigMaps (issue 8).
func generateSizedBundle(prefix string, n int) string {
	namespaces := n / 100
	perKind := (n - namespaces) / 4
	return generateMixedBundle(prefix, namespaces, perKind, n-namespaces-3*perKind)
}

// generateMixedBundle writes the benchmark bundle of
// ../shared/devcluster.md: namespaces Namespaces and perKind each of
// Deployment, Service and Ingress spread over them, plus configMaps
// ConfigMaps, all in one multi-document file. prefix keeps the namespaces
// of different runs apart.
func generateMixedBundle(prefix string, namespaces, perKind, configMaps int) string {
	var b strings.Builder
	for n := 0; n < namespaces; n++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s-%d\n", prefix, n)
	}
	for i := 0; i < perKind; i++ {
		ns := fmt.Sprintf("%s-%d", prefix, i%namespaces)
		name := fmt.Sprintf("app-%d", i)
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: %[2]s
  labels: {app: %[1]s}
spec:
  replicas: 1
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
`, name, ns)
	}
	for i := 0; i < configMaps; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-%[1]d
  namespace: %[2]s-%[3]d
data:
  app.properties: |
    name=config-%[1]d
    replicas=1
  log-level: info
`, i, prefix, i%namespaces)
	}
	return b.String()
}

// reviseBundle returns bundle with every tenth document given the
// annotation kapply.dev/bench-rev: rev, a change that a re-apply writes.
func reviseBundle(bundle, rev string) string {
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
