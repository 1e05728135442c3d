package apply

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kapply-dev/kapply/dynamicx"
)

func TestParseDependsOn(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        []dynamicx.Ref
		wantErr     bool
	}{
		{name: "namespaced", value: "batch/namespaces/shop/Job/migrate", want: []dynamicx.Ref{{Group: "batch", Kind: "Job", Namespace: "shop", Name: "migrate"}}},
		{name: "core group, cluster-scoped", value: "/Namespace/shop", want: []dynamicx.Ref{{Kind: "Namespace", Name: "shop"}}},
		{
			name:  "several, spaces and a repeat",
			value: " /namespaces/shop/ConfigMap/a , rbac.authorization.k8s.io/ClusterRole/r,/namespaces/shop/ConfigMap/a,",
			want:  []dynamicx.Ref{{Kind: "ConfigMap", Namespace: "shop", Name: "a"}, {Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "r"}},
		},
		{name: "empty", value: ""},
		{name: "two parts", value: "ConfigMap/a", wantErr: true},
		{name: "four parts", value: "/shop/ConfigMap/a", wantErr: true},
		{name: "no name", value: "/namespaces/shop/ConfigMap/", wantErr: true},
		{name: "no namespace", value: "/namespaces//ConfigMap/a", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDependsOn(tc.value)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("parseDependsOn(%q) mismatch (-want +got):\n%s", tc.value, d)
			}
		})
	}
}
