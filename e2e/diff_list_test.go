//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kapply-dev/kapply/internal/testcluster"
)

// From 8 objects of a kind in a namespace, diff reads the live objects with
// one LIST instead of a GET each; the result must be the same.
func TestDiffOfALargeGroupReadsLiveObjectsByList(t *testing.T) {
	kc := testcluster.Kubeconfig(t)
	ns := "diff-list"
	testcluster.CreateNamespace(t, kc, ns)
	docs := func(changed int, extra bool) string {
		var d []string
		for i := range 12 {
			v := "v1"
			if i == changed {
				v = "v2"
			}
			d = append(d, configMap(fmt.Sprintf("cm-%02d", i), "", map[string]string{"k": v}))
		}
		if extra {
			d = append(d, configMap("cm-new", "", map[string]string{"k": "v1"}))
		}
		return bundle(d...)
	}
	if code, _, stderr := kapplyIn(t, kc, docs(-1, false), "apply", "-f", "-", "-n", ns); code != exitOK {
		t.Fatal(stderr)
	}
	if code, stdout, stderr := kapplyIn(t, kc, docs(-1, false), "diff", "-f", "-", "-n", ns); code != exitOK || stdout != "" {
		t.Fatalf("no change: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr := kapplyIn(t, kc, docs(3, true), "diff", "-f", "-", "-n", ns)
	if code != exitDiffers {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	headers := regexp.MustCompile(`(?m)^# (\S+) -n diff-list \(-#\d+\): (\w+)`).FindAllStringSubmatch(stdout, -1)
	var got []string
	for _, h := range headers {
		got = append(got, h[1]+" "+h[2])
	}
	if want := "configmap/cm-03 update, configmap/cm-new create"; strings.Join(got, ", ") != want {
		t.Errorf("diffed %q, want %q\n%s", strings.Join(got, ", "), want, stdout)
	}
	if !strings.Contains(stdout, "-  k: v1\n+  k: v2") {
		t.Errorf("the change is not shown:\n%s", stdout)
	}
}
