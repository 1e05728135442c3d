package apply

import (
	"strings"
	"testing"
)

func TestServerMessage(t *testing.T) {
	long := `{"labels":{"job-name":"j"},"Spec":{"Containers":[{"Name":"c","Image":"busybox","Args":["two"]}],"RestartPolicy":"Never"}}`
	tests := []struct{ name, msg, want string }{
		{name: "short invalid value kept", msg: `Invalid value: ["10.0.0.2"]: may not change once set`, want: `Invalid value: ["10.0.0.2"]: may not change once set`},
		{name: "long invalid value cut", msg: "Invalid value: " + long + ": field is immutable", want: "Invalid value: …: field is immutable"},
		{name: "first line only", msg: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`\n@@ -1,2 +1,2 @@\n-a\n+b", want: "Forbidden: pod updates may not change fields other than `spec.containers[*].image`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serverMessage(tc.msg); got != tc.want {
				t.Errorf("serverMessage = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		path, field string
		want        bool
	}{
		{"spec.template.spec.containers[0].image", "spec.template", true},
		{"spec.template", "spec.template", true},
		{"spec.clusterIPs[0]", "spec.clusterIPs", true},
		{"spec.templateHash", "spec.template", false},
		{"spec", "spec.template", false},
	}
	for _, tc := range tests {
		if got := within(tc.path, tc.field); got != tc.want {
			t.Errorf("within(%q, %q) = %v, want %v", tc.path, tc.field, got, tc.want)
		}
	}
}

func TestImmutableErrorNamesValuesAndTheServer(t *testing.T) {
	e := &ImmutableError{
		Changes: []ImmutableChange{{Path: "spec.clusterIP", ServerField: "spec.clusterIPs[0]", Old: `"a"`, New: `"b"`}, {Path: "spec.x", New: "1"}},
		Message: "spec.clusterIPs[0]: may not change once set",
	}
	want := `immutable field(s) would change: spec.clusterIP "a" -> "b", spec.x (unset) -> 1 (server: spec.clusterIPs[0]: may not change once set): apply would be refused`
	if got := e.Error(); !strings.HasPrefix(got, want) {
		t.Errorf("Error() = %q, want it to start with %q", got, want)
	}
}
