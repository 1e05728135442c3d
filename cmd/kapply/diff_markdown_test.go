package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/apply"
	"github.com/kapply-dev/kapply/dynamicx"
	"github.com/kapply-dev/kapply/manifests"
)

func TestDiffMarkdown(t *testing.T) {
	web := dynamicx.Ref{Group: "apps", Kind: "Deployment", Namespace: "prod", Name: "web"}
	creds := dynamicx.Ref{Kind: "Secret", Namespace: "prod", Name: "creds"}
	svc := dynamicx.Ref{Kind: "Service", Namespace: "prod", Name: "web"}
	old := dynamicx.Ref{Kind: "ConfigMap", Namespace: "prod", Name: "old"}
	ds := &apply.DiffSet{
		Results: []apply.DiffResult{
			{Ref: web, Source: manifests.Source{Path: "app.yaml", Doc: 1, Line: 1}, Action: apply.DiffUpdate, Paths: []string{"spec.replicas"},
				Diff: "--- live/x\n+++ merged/x\n@@ -1 +1 @@\n-  replicas: 1\n+  replicas: 3\n"},
			{Ref: creds, Source: manifests.Source{Path: "app.yaml", Doc: 2, Line: 20}, Action: apply.DiffUpdate, Paths: []string{"data.password"},
				Diff: "--- live/s\n+++ merged/s\n@@ -1 +1 @@\n-  password: '***'\n+  password: '*** (changed)'\n"},
			{Ref: svc, Source: manifests.Source{Path: "app.yaml", Doc: 3, Line: 30}, Action: apply.DiffImmutable, Paths: []string{"spec.clusterIP"},
				Err: errors.New("immutable field(s) would change: spec.clusterIP | a bar")},
			{Ref: dynamicx.Ref{Kind: "ConfigMap", Namespace: "prod", Name: "same"}, Action: apply.DiffUnchanged},
		},
		Prune: []apply.Result{{Ref: old, Source: manifests.Source{Path: "applyset prod/web"}, Action: apply.Pruned}},
	}
	var out strings.Builder
	diffMarkdown(&out, ds)
	want := "### kapply diff: 2 update, 1 unchanged, 1 immutable, 1 prune\n" +
		"\n| object | action | source | changed paths |\n| --- | --- | --- | --- |\n" +
		"| `deployment.apps/web -n prod` | update | `app.yaml#1` | `spec.replicas` |\n" +
		"| `secret/creds -n prod` | update | `app.yaml#2` | `data.password` |\n" +
		"| `service/web -n prod` | immutable | `app.yaml#3` | `spec.clusterIP` |\n" +
		"| `configmap/old -n prod` | prune | `applyset prod/web` | |\n" +
		"\n<details><summary>deployment.apps/web -n prod: update</summary>\n\n```diff\n--- live/x\n+++ merged/x\n@@ -1 +1 @@\n-  replicas: 1\n+  replicas: 3\n```\n\n</details>\n" +
		"\n<details><summary>secret/creds -n prod: update</summary>\n\n```diff\n--- live/s\n+++ merged/s\n@@ -1 +1 @@\n-  password: '***'\n+  password: '*** (changed)'\n```\n\n</details>\n" +
		"\n**service/web -n prod**: immutable field(s) would change: spec.clusterIP \\| a bar\n"
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("markdown mismatch (-want +got):\n%s", d)
	}
}
