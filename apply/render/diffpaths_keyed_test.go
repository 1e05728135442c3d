package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// keyedSchema is a pod-like type: containers keyed by name, their env by
// name, their ports by containerPort and protocol, args atomic.
const keyedSchema = `types:
- name: obj
  map:
    fields:
    - name: containers
      type:
        list:
          elementType: {namedType: container}
          elementRelationship: associative
          keys: [name]
- name: container
  map:
    fields:
    - name: name
      type: {scalar: string}
    - name: image
      type: {scalar: string}
    - name: args
      type:
        list:
          elementType: {scalar: string}
          elementRelationship: atomic
    - name: env
      type:
        list:
          elementType: {namedType: env}
          elementRelationship: associative
          keys: [name]
    - name: ports
      type:
        list:
          elementType: {namedType: port}
          elementRelationship: associative
          keys: [containerPort, protocol]
- name: env
  map:
    fields:
    - name: name
      type: {scalar: string}
    - name: value
      type: {scalar: string}
- name: port
  map:
    fields:
    - name: containerPort
      type: {scalar: numeric}
    - name: protocol
      type: {scalar: string}
    - name: name
      type: {scalar: string}
`

func testSchema(t *testing.T) *Schema {
	t.Helper()
	p, err := typed.NewParser(keyedSchema)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := p.Type("obj").FromUnstructured(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	return SchemaOf(tv)
}

func ctr(name, image string, env ...string) map[string]any {
	var e []any
	for _, n := range env {
		e = append(e, map[string]any{"name": n, "value": "v"})
	}
	c := map[string]any{"name": name, "image": image}
	if e != nil {
		c["env"] = e
	}
	return c
}

func TestChangedPathsKeyed(t *testing.T) {
	obj := func(cs ...any) map[string]any { return map[string]any{"containers": cs} }
	tests := []struct {
		name         string
		live, merged map[string]any
		want         []string
	}{
		{name: "same", live: obj(ctr("a", "x")), merged: obj(ctr("a", "x"))},
		{name: "swapped: the list's order", live: obj(ctr("a", "x"), ctr("b", "y")), merged: obj(ctr("b", "y"), ctr("a", "x")), want: []string{"containers"}},
		{
			name: "swapped, one changed", live: obj(ctr("a", "x"), ctr("b", "y")), merged: obj(ctr("b", "y"), ctr("a", "z")),
			want: []string{"containers", "containers[name=a].image"},
		},
		{
			name: "inserted and removed items whole", live: obj(ctr("a", "x", "A", "B")), merged: obj(ctr("a", "x", "NEW", "A"), ctr("c", "y")),
			want: []string{"containers[name=a].env[name=NEW]", "containers[name=a].env[name=B]", "containers[name=c]"},
		},
		{
			name: "two keys",
			live: obj(map[string]any{"name": "a", "ports": []any{
				map[string]any{"containerPort": int64(53), "protocol": "UDP"}, map[string]any{"containerPort": int64(53), "protocol": "TCP"},
			}}),
			merged: obj(map[string]any{"name": "a", "ports": []any{
				map[string]any{"containerPort": int64(53), "protocol": "UDP"}, map[string]any{"containerPort": int64(53), "protocol": "TCP", "name": "dns"},
			}}),
			want: []string{"containers[name=a].ports[containerPort=53,protocol=TCP].name"},
		},
		{
			name: "atomic list by index", live: obj(map[string]any{"name": "a", "args": []any{"x", "y"}}), merged: obj(map[string]any{"name": "a", "args": []any{"x", "z", "w"}}),
			want: []string{"containers[name=a].args[1]", "containers[name=a].args[2]"},
		},
		{
			name: "items without their key: by index", live: obj(map[string]any{"image": "x"}), merged: obj(map[string]any{"image": "y"}),
			want: []string{"containers[0].image"},
		},
		{
			name: "a key value that is not a plain word is quoted", live: obj(ctr("a b", "x")), merged: obj(ctr("a b", "y")),
			want: []string{`containers[name="a b"].image`},
		},
	}
	s := testSchema(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, ChangedPathsKeyed(s, tc.live, tc.merged)); d != "" {
				t.Errorf("ChangedPathsKeyed mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestChangesCarryValuesAndTheServersPositionalPath(t *testing.T) {
	live := map[string]any{"containers": []any{ctr("a", "x"), ctr("b", "y")}}
	merged := map[string]any{"containers": []any{ctr("b", "y"), ctr("a", "z")}}
	want := []Change{
		{Path: "containers", Positional: "containers", InOld: true, InNew: true, Order: true},
		{Path: "containers[name=a].image", Positional: "containers[1].image", Old: "x", New: "z", InOld: true, InNew: true},
	}
	if d := cmp.Diff(want, Changes(testSchema(t), live, merged)); d != "" {
		t.Errorf("Changes mismatch (-want +got):\n%s", d)
	}
}
