package testfiles

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTreeWritesNestedFiles(t *testing.T) {
	root := Tree(t, map[string]string{"a.yaml": "a", "base/deep/b.yaml": "b"})
	Write(t, root, map[string]string{"overlay/c.yaml": "c"})
	for p, want := range map[string]string{"a.yaml": "a", "base/deep/b.yaml": "b", "overlay/c.yaml": "c"} {
		got, err := os.ReadFile(filepath.Join(root, p))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", p, got, err, want)
		}
	}
}
