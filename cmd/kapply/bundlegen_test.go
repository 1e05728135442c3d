//go:build bench

package main

import (
	"fmt"
	"strings"
)

// generateBundle writes the benchmark bundle of ../shared/devcluster.md:
// namespaces Namespaces and perKind each of Deployment, Service and
// Ingress spread over them, all in one multi-document file. prefix keeps
// the namespaces of different runs apart.
func generateBundle(prefix string, namespaces, perKind int) string {
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
	return b.String()
}
