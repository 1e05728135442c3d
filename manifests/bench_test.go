package manifests

import (
	"fmt"
	"strings"
	"testing"
)

const contourFile = "04-crds-and-crs/contour-gateway.yaml"

// bundle10k is a generated bundle of 10,000 small Deployments, the shape of
// a large application platform's rendered output.
func bundle10k() []byte {
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-%d
  namespace: team-%d
  labels:
    app: app-%d
    tier: backend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-%d
  template:
    metadata:
      labels:
        app: app-%d
    spec:
      containers:
      - name: main
        image: registry.example.com/app:1.%d.0
        args: ["--port=8080", "--verbose"]
        ports:
        - containerPort: 8080
        resources:
          limits: {cpu: 500m, memory: 256Mi}
`, i, i%50, i, i, i, i%7)
	}
	return []byte(b.String())
}

func TestBundle10k(t *testing.T) {
	objs, err := Decode("bundle.yaml", bundle10k())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 10000 {
		t.Fatalf("got %d objects, want 10000", len(objs))
	}
	if last := objs[9999].Source; last.Doc != 10000 || last.Line != 9999*27+2 {
		t.Errorf("last object at %s line %d", last, last.Line)
	}
}

func benchmarkDecode(b *testing.B, data []byte, want int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		objs, err := Decode("bench.yaml", data)
		if err != nil || len(objs) != want {
			b.Fatalf("got %d objects, error %v", len(objs), err)
		}
	}
}

// benchmarkApimachinery decodes the way kubectl's resource builder does:
// apimachinery's YAMLOrJSONDecoder, then the unstructured JSON scheme.
func benchmarkApimachinery(b *testing.B, data []byte, want int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if objs := decodeLikeKubectl(b, data); len(objs) != want {
			b.Fatalf("got %d objects", len(objs))
		}
	}
}

func BenchmarkDecodeContour(b *testing.B) {
	benchmarkDecode(b, readCorpus(b, contourFile), 34)
}

func BenchmarkApimachineryDecodeContour(b *testing.B) {
	benchmarkApimachinery(b, readCorpus(b, contourFile), 34)
}

func BenchmarkDecode10k(b *testing.B) {
	benchmarkDecode(b, bundle10k(), 10000)
}

func BenchmarkApimachineryDecode10k(b *testing.B) {
	benchmarkApimachinery(b, bundle10k(), 10000)
}
