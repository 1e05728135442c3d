// Package testfiles writes trees of small files for tests: manifests and
// kustomizations given as path -> content.
package testfiles

import (
	"os"
	"path/filepath"
	"testing"
)

// Tree writes files (a slash-separated path relative to the tree -> its
// content) under a new temporary directory and returns the directory.
func Tree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	Write(t, root, files)
	return root
}

// Write writes files under root, making the directories they need.
func Write(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
