package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChangedPaths(t *testing.T) {
	tests := []struct {
		name         string
		live, merged map[string]any
		want         []string
	}{
		{name: "equal", live: map[string]any{"a": int64(1)}, merged: map[string]any{"a": int64(1)}},
		{
			name:   "a scalar deep down",
			live:   map[string]any{"spec": map[string]any{"replicas": int64(1), "paused": false}},
			merged: map[string]any{"spec": map[string]any{"replicas": int64(3), "paused": false}},
			want:   []string{"spec.replicas"},
		},
		{
			name:   "keys added and removed as a whole, sorted",
			live:   map[string]any{"data": map[string]any{"b": "1", "gone": map[string]any{"x": "y"}}},
			merged: map[string]any{"data": map[string]any{"b": "1", "a": "2"}},
			want:   []string{"data.a", "data.gone"},
		},
		{
			name:   "keys with dots and slashes are quoted",
			live:   map[string]any{"metadata": map[string]any{"annotations": map[string]any{"example.com/x": "1"}}, "data": map[string]any{"tls.crt": "a"}},
			merged: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"example.com/x": "2"}}, "data": map[string]any{"tls.crt": "b"}},
			want:   []string{`data["tls.crt"]`, `metadata.annotations["example.com/x"]`},
		},
		{
			name: "list items by index, extra items whole",
			live: map[string]any{"containers": []any{
				map[string]any{"name": "a", "image": "x:1"},
			}},
			merged: map[string]any{"containers": []any{
				map[string]any{"name": "a", "image": "x:2"},
				map[string]any{"name": "b", "image": "y:1"},
			}},
			want: []string{"containers[0].image", "containers[1]"},
		},
		{
			name:   "a value that changes type",
			live:   map[string]any{"selector": map[string]any{"app": "a"}},
			merged: map[string]any{"selector": "app=a"},
			want:   []string{"selector"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ChangedPaths(tc.live, tc.merged)); diff != "" {
				t.Errorf("ChangedPaths mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
