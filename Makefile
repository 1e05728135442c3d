# kapply: build, test, demo. Needs only Go and make; everything else
# (the local Kubernetes control plane included) is built from the Go module
# proxy by these rules.

SHELL      := /bin/bash
GO         ?= go
BIN        := $(CURDIR)/bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X main.version=$(VERSION)
DEMO_DIR   := $(CURDIR)/.demo
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The control plane is built from k8s.io/kubernetes as a module, which
# stamps no version; stamp the one devcluster/go.mod requires so that the
# server reports it.
KUBE_VERSION := $(shell awk '$$1=="k8s.io/kubernetes"{print $$2; exit}' devcluster/go.mod)
KUBE_MINOR   := $(word 2,$(subst ., ,$(KUBE_VERSION)))
KUBE_LDFLAGS := $(foreach p,k8s.io/component-base/version k8s.io/client-go/pkg/version,-X $(p).gitVersion=$(KUBE_VERSION) -X $(p).gitMajor=1 -X $(p).gitMinor=$(KUBE_MINOR))
# Go test timeout for the whole suite against the local cluster.
TEST_TIMEOUT ?= 30m
# How long `make fuzz` runs each of the manifest decoder's fuzz targets.
FUZZ_TIME ?= 20s

.PHONY: all build devcluster test unit e2e devcluster-test demo demo-down lint fuzz bench bench-real clean

all: build devcluster

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/kapply ./cmd/kapply

# The control plane: one multi-call binary (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok, kubectl). About 6 minutes on
# 2 cores the first time, seconds once the Go build cache is warm.
devcluster:
	cd devcluster && $(GO) build -ldflags "$(KUBE_LDFLAGS)" -o $(BIN)/devcluster .

# Everything: lint, the devcluster's own tests, then all of kapply's tests
# (unit and end-to-end) inside one local cluster with a kwok node. The e2e
# tests fail, not skip, when they have no cluster.
test: build devcluster lint fuzz devcluster-test
	$(BIN)/devcluster run --nodes 1 -- \
		env KAPPLY_BIN=$(BIN)/kapply DEVCLUSTER_BIN=$(BIN)/devcluster \
		$(GO) test -tags e2e -count=1 -timeout $(TEST_TIMEOUT) ./...

# A short run of each of the decoder's fuzz targets: FuzzDecode (no panic,
# errors located) and FuzzDecodeKubectl (the same objects as kubectl's
# decoder, issue 18). New interesting inputs stay in the Go build cache;
# only a failing input is written to the tree, to
# manifests/testdata/fuzz/TARGET/, where every go test replays it: commit it
# with the fix.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZ_TIME) ./manifests/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeKubectl$$' -fuzztime $(FUZZ_TIME) ./manifests/

# Unit tests only: no cluster needed.
unit:
	$(GO) test -count=1 ./...

devcluster-test: devcluster
	cd devcluster && DEVCLUSTER_BIN=$(BIN)/devcluster $(GO) test -count=1 -timeout 10m ./cluster/

# The demo (testdata/demo/demo.sh): a local cluster with two kwok nodes;
# a web app (Deployment, Service, Ingress, Secret) and Contour (CRDs and
# their custom resources in one file) applied as one ApplySet with --wait,
# then a change shown by diff (the Secret masked) and applied, then a file
# removed and its object pruned, then the app's status. The cluster keeps
# running for you to look at; `make demo-down` stops it.
demo: build devcluster
	@if [ -f $(DEMO_DIR)/state.json ]; then $(BIN)/devcluster down --dir $(DEMO_DIR) >/dev/null 2>&1 || true; fi
	$(BIN)/devcluster up --dir $(DEMO_DIR) --nodes 2
	@testdata/demo/demo.sh $(BIN) $(DEMO_DIR)/kubeconfig
	@echo
	@echo "The cluster keeps running. Look around with:"
	@echo "  export KUBECONFIG=$(DEMO_DIR)/kubeconfig PATH=$(BIN):\$$PATH"
	@echo "  kapply status -f testdata/demo/app/web.yaml"
	@echo "  devcluster kubectl get all,ingress,secret -n kapply-demo"
	@echo "  devcluster kubectl get gateways,gatewayclasses -A"
	@echo "Stop it with: make demo-down"

demo-down:
	@if [ -f $(DEMO_DIR)/state.json ]; then $(BIN)/devcluster down --dir $(DEMO_DIR); else echo "no demo cluster running"; fi

# Benchmarks (issue 8) against the ceiling and kubectl, measured in the same
# run on a fresh minimal cluster; the markdown report is printed and written
# to $(BENCH_REPORT). BENCH_SIZES=1000,5000,10000 adds the large sizes
# (kapply and the ceiling only, one run each); BENCH_KUBECTL=0 leaves kubectl
# out; BENCH_REAL=0 leaves out the real-bundles table (each bundle on fresh
# clusters of its own), which `make bench-real` runs alone. See README,
# "Benchmarks".
BENCH_SIZES   ?= 1000
BENCH_RUNS    ?= 3
BENCH_KUBECTL ?= 1
BENCH_REAL    ?= 1
BENCH_REPORT  ?= $(BIN)/bench.md
bench: build devcluster
	$(BIN)/devcluster run --minimal -- \
		env KAPPLY_BIN=$(BIN)/kapply DEVCLUSTER_BIN=$(BIN)/devcluster BENCH_REPORT=$(BENCH_REPORT) \
		BENCH_SIZES=$(BENCH_SIZES) BENCH_RUNS=$(BENCH_RUNS) BENCH_KUBECTL=$(BENCH_KUBECTL) BENCH_REAL=$(BENCH_REAL) \
		$(GO) test -tags bench -count=1 -run 'TestBenchSuite' -v -timeout 90m ./e2e/bench/
	$(GO) test -run '^$$' -bench . -benchmem ./manifests/

# The real-bundles table alone (issue 19): no shared cluster, every first
# apply on a fresh one. BENCH_REAL_BUNDLES=argo-cd,cert-manager narrows it.
bench-real: build devcluster
	env KAPPLY_BIN=$(BIN)/kapply DEVCLUSTER_BIN=$(BIN)/devcluster BENCH_REPORT=$(BENCH_REPORT) \
		BENCH_RUNS=$(BENCH_RUNS) BENCH_REAL_BUNDLES=$(BENCH_REAL_BUNDLES) \
		$(GO) test -tags bench -count=1 -run 'TestBenchRealBundles' -v -timeout 60m ./e2e/bench/

lint:
	@out=$$(gofmt -l .); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags e2e ./...
	$(GO) vet -tags bench ./e2e/bench/
	cd devcluster && $(GO) vet ./cluster/
	$(GO) run $(STATICCHECK) -tags e2e ./...

clean:
	rm -rf $(BIN)
