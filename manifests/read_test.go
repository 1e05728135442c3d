package manifests

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// tree creates files under a new temporary directory and returns it, with
// links resolved so that expected messages can name real paths. A value
// starting with "->" makes a symbolic link to the rest; "<dir>" a directory;
// "<fifo>" a named pipe. ROOT in a value stands for the directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		content = strings.ReplaceAll(content, "ROOT", root)
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(strings.TrimPrefix(content, "->"), p)
		case content == "<dir>":
			err = os.MkdirAll(p, 0o755)
		case content == "<fifo>":
			err = syscall.Mkfifo(p, 0o644)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// sources lists the Sources of objects as strings.
func sources(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%s %s", o.Source, o.Obj.GetName()))
	}
	return out
}

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  func(root string) ReadOptions
		want  func(root string) []string
	}{
		{
			name: "directory: manifest extensions in name order, other files and subdirectories skipped",
			files: map[string]string{
				"b.yaml": cm("b"), "a.yml": cm("a"), "c.json": `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`,
				"D.YAML": cm("d"), "notes.txt": "not yaml", "sub/s.yaml": cm("s"),
			},
			opts: func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want: func(root string) []string {
				return []string{root + "/D.YAML#1 d", root + "/a.yml#1 a", root + "/b.yaml#1 b", root + "/c.json#1 c"}
			},
		},
		{
			name:  "recursive",
			files: map[string]string{"b.yaml": cm("b"), "a/x.yaml": cm("x"), "a/deeper/y.yaml": cm("why"), "c/z.yml": cm("z")},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}, Recursive: true} },
			want: func(root string) []string {
				return []string{root + "/a/deeper/y.yaml#1 why", root + "/a/x.yaml#1 x", root + "/b.yaml#1 b", root + "/c/z.yml#1 z"}
			},
		},
		{
			name:  "a file named explicitly is read whatever its extension, inputs in order",
			files: map[string]string{"manifest.txt": cm("t"), "dir/a.yaml": cm("a")},
			opts: func(root string) ReadOptions {
				return ReadOptions{Paths: []string{root + "/manifest.txt", root + "/dir"}}
			},
			want: func(root string) []string { return []string{root + "/manifest.txt#1 t", root + "/dir/a.yaml#1 a"} },
		},
		{
			name:  "standard input",
			files: map[string]string{"a.yaml": cm("a")},
			opts: func(root string) ReadOptions {
				return ReadOptions{Paths: []string{"-", root + "/a.yaml"}, Stdin: strings.NewReader(cm("in") + "---\n" + cm("in2"))}
			},
			want: func(root string) []string { return []string{"-#1 in", "-#2 in2", root + "/a.yaml#1 a"} },
		},
		{
			name:  "links inside the directory are followed, each file read once",
			files: map[string]string{"a.yaml": cm("a"), "z-same.yaml": "->a.yaml", "sub/b.yaml": cm("b"), "y-sub.yaml": "->sub/b.yaml", "abs.yaml": "->ROOT/sub/b.yaml"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  func(root string) []string { return []string{root + "/a.yaml#1 a", root + "/abs.yaml#1 b"} },
		},
		{
			name:  "a file named twice is read once",
			files: map[string]string{"a.yaml": cm("a")},
			opts: func(root string) ReadOptions {
				return ReadOptions{Paths: []string{root + "/a.yaml", root, root + "/./a.yaml"}}
			},
			want: func(root string) []string { return []string{root + "/a.yaml#1 a"} },
		},
		{
			name:  "directory links: followed with -R, loops stop",
			files: map[string]string{"a/x.yaml": cm("x"), "b": "->a", "a/up": "->..", "c/self": "->."},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}, Recursive: true} },
			want:  func(root string) []string { return []string{root + "/a/x.yaml#1 x"} },
		},
		{
			name:  "FIFOs and dangling non-manifest links in a directory are skipped",
			files: map[string]string{"a.yaml": cm("a"), "pipe.yaml": "<fifo>", "README": "->nowhere"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  func(root string) []string { return []string{root + "/a.yaml#1 a"} },
		},
		{
			name:  "directory given through a link",
			files: map[string]string{"real/a.yaml": cm("a"), "link": "->real"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root + "/link"}} },
			want:  func(root string) []string { return []string{root + "/link/a.yaml#1 a"} },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.files)
			objs, err := Read(t.Context(), tc.opts(root))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tc.want(root), sources(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  func(root string) ReadOptions
		want  string // ROOT stands for the directory
	}{
		{
			name: "missing file",
			opts: func(root string) ReadOptions { return ReadOptions{Paths: []string{root + "/nope.yaml"}} },
			want: "ROOT/nope.yaml: no such file or directory",
		},
		{
			name:  "directory with no manifest",
			files: map[string]string{"README.md": "hi", "x.txt": cm("a")},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  "ROOT: no manifest files (.yaml, .yml or .json) in this directory",
		},
		{
			name:  "directory with manifests only in subdirectories",
			files: map[string]string{"sub/a.yaml": cm("a")},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  "ROOT: no manifest files (.yaml, .yml or .json) in this directory (subdirectories are read only with -R/--recursive)",
		},
		{
			name:  "empty tree, recursive",
			files: map[string]string{"sub/deeper": "<dir>"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}, Recursive: true} },
			want:  "ROOT: no manifest files (.yaml, .yml or .json) in this directory or its subdirectories",
		},
		{
			name:  "link to a file outside the directory",
			files: map[string]string{"in/a.yaml": cm("a"), "in/evil.yaml": "->../secret.yaml", "secret.yaml": cm("s")},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root + "/in"}} },
			want:  "ROOT/in/evil.yaml: symbolic link leads outside ROOT/in (to ROOT/secret.yaml); only links within the directory are followed",
		},
		{
			name:  "link to a directory outside, recursive",
			files: map[string]string{"in/a.yaml": cm("a"), "in/etc": "->../out", "out/b.yaml": cm("b")},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root + "/in"}, Recursive: true} },
			want:  "ROOT/in/etc: symbolic link leads outside ROOT/in (to ROOT/out); only links within the directory are followed",
		},
		{
			name:  "broken link",
			files: map[string]string{"a.yaml": cm("a"), "gone.yaml": "->nothing.yaml"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  "ROOT/gone.yaml: broken symbolic link: its target does not exist",
		},
		{
			name:  "link loop",
			files: map[string]string{"a.yaml": cm("a"), "loop.yaml": "->loop.yaml"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  "ROOT/loop.yaml: symbolic link loop",
		},
		{
			name: "standard input not available",
			opts: func(root string) ReadOptions { return ReadOptions{Paths: []string{"-"}} },
			want: "-: standard input is not available",
		},
		{
			name:  "total size limit",
			files: map[string]string{"a.yaml": cm("a"), "b.yaml": cm("b"), "c.yaml": "not: [valid"},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}, MaxTotalBytes: 80} },
			want:  "ROOT/b.yaml: the inputs total more than 80 bytes, the limit for one run",
		},
		{
			name: "total size limit on standard input",
			opts: func(root string) ReadOptions {
				return ReadOptions{Paths: []string{"-"}, Stdin: strings.NewReader(strings.Repeat("#", 2<<20)), MaxTotalBytes: 1 << 20}
			},
			want: "-: the inputs total more than 1 MiB, the limit for one run",
		},
		{
			name:  "same object in two files names both",
			files: map[string]string{"a.yaml": cm("x"), "b.yaml": "# x again\n" + cm("x")},
			opts:  func(root string) ReadOptions { return ReadOptions{Paths: []string{root}} },
			want:  "ROOT/b.yaml#1:5:3: duplicate object ConfigMap x: also defined at ROOT/a.yaml#1:1",
		},
		{
			name:  "problems in several inputs are all reported, in input order",
			files: map[string]string{"a.yaml": cm("a") + "  name: b\n", "b.yaml": cm("ok"), "c.yaml": "kind: ConfigMap\nmetadata: {name: c}\n"},
			opts: func(root string) ReadOptions {
				return ReadOptions{Paths: []string{root + "/missing.yaml", root}}
			},
			want: "ROOT/missing.yaml: no such file or directory\n" +
				`ROOT/a.yaml#1:5:3: duplicate key "name" (first at line 4)` + "\n" +
				"ROOT/c.yaml#1:1:1: apiVersion is required",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := tree(t, tc.files)
			objs, err := Read(t.Context(), tc.opts(root))
			if err == nil {
				t.Fatalf("Read gave %d objects and no error", len(objs))
			}
			if objs != nil {
				t.Errorf("Read gave objects with an error: %v", sources(objs))
			}
			if diff := cmp.Diff(strings.ReplaceAll(tc.want, "ROOT", root), err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadErrorTypes(t *testing.T) {
	root := tree(t, map[string]string{"bad.yaml": "kind: ConfigMap\n"})
	_, err := Read(t.Context(), ReadOptions{Paths: []string{root + "/missing.yaml", root + "/bad.yaml"}})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) is false for %v", err)
	}
	var re *ReadError
	if !errors.As(err, &re) || re.Path != root+"/missing.yaml" {
		t.Errorf("no *ReadError for the missing file in %v", err)
	}
	var de *DecodeError
	if !errors.As(err, &de) || de.Source.Path != root+"/bad.yaml" || de.Line != 1 || de.Col != 1 {
		t.Errorf("no *DecodeError for bad.yaml in %v", err)
	}
}

func TestReadExplicitFIFO(t *testing.T) {
	root := tree(t, map[string]string{"pipe": "<fifo>"})
	go func() {
		f, err := os.OpenFile(root+"/pipe", os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.WriteString(cm("piped"))
	}()
	objs, err := Read(t.Context(), ReadOptions{Paths: []string{root + "/pipe"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{root + "/pipe#1 piped"}, sources(objs)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestReadCancelled(t *testing.T) {
	root := tree(t, map[string]string{"a.yaml": cm("a")})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Read(ctx, ReadOptions{Paths: []string{root}}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestReadURL(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.yaml", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, cm("web")) })
	mux.HandleFunc("/bad.yaml", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "kind: ConfigMap\n") })
	mux.HandleFunc("/big.yaml", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("# padding\n", 1<<17))
	})
	mux.HandleFunc("/slow.yaml", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux) // loopback only
	defer srv.Close()
	u := srv.URL

	t.Run("fetched", func(t *testing.T) {
		objs, err := Read(t.Context(), ReadOptions{Paths: []string{u + "/ok.yaml"}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{u + "/ok.yaml#1 web"}, sources(objs)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
	})
	t.Run("password hidden", func(t *testing.T) {
		withPass := strings.Replace(u, "http://", "http://user:pa55@", 1) + "/ok.yaml"
		objs, err := Read(t.Context(), ReadOptions{Paths: []string{withPass}})
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Replace(u, "http://", "http://user:xxxxx@", 1) + "/ok.yaml#1 web"
		if diff := cmp.Diff([]string{want}, sources(objs)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
	})
	errorCases := []struct {
		name string
		opts ReadOptions
		want string
	}{
		{"not found", ReadOptions{Paths: []string{u + "/nope.yaml"}}, u + "/nope.yaml: HTTP 404 Not Found"},
		{"invalid content", ReadOptions{Paths: []string{u + "/bad.yaml"}}, u + "/bad.yaml#1:1:1: apiVersion is required\n" + u + "/bad.yaml#1:1:1: metadata.name is required"},
		{"timeout", ReadOptions{Paths: []string{u + "/slow.yaml"}, HTTPTimeout: 50 * time.Millisecond}, u + "/slow.yaml: timed out after 50ms"},
		{"size limit", ReadOptions{Paths: []string{u + "/big.yaml"}, MaxTotalBytes: 1 << 20}, u + "/big.yaml: the inputs total more than 1 MiB, the limit for one run"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(t.Context(), tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts ReadOptions
		want string
	}{
		{"no paths", ReadOptions{}, `no input: give -f (a file, directory, URL or "-") or -k (a kustomization directory)`},
		{"paths and kustomize", ReadOptions{Paths: []string{"a.yaml"}, Kustomize: "dir"}, "only one of -f or -k can be given"},
		{"kustomize and recursive", ReadOptions{Kustomize: "dir", Recursive: true}, "-k cannot be used with -R: a kustomization lists its own files"},
		{"empty path", ReadOptions{Paths: []string{""}}, "an input path is empty"},
		{"stdin twice", ReadOptions{Paths: []string{"-", "a.yaml", "-"}}, `standard input ("-") can be read only once`},
		{"other scheme", ReadOptions{Paths: []string{"ftp://example.com/a.yaml"}}, `ftp://example.com/a.yaml: unsupported URL scheme "ftp": only http and https are`},
		{"negative limits", ReadOptions{Paths: []string{"a"}, MaxTotalBytes: -1, HTTPTimeout: -time.Second}, "MaxTotalBytes is negative (-1)\nHTTPTimeout is negative (-1s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if _, rerr := Read(t.Context(), tc.opts); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Read did not stop on the invalid options: %v", rerr)
			}
		})
	}
	ok := DefaultReadOptions()
	ok.Paths = []string{"a.yaml", "https://example.com/x.yaml", "-"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	if d := DefaultReadOptions(); d.MaxTotalBytes != DefaultMaxTotalBytes || d.HTTPTimeout != DefaultHTTPTimeout || d.Stdin != os.Stdin {
		t.Errorf("DefaultReadOptions() = %+v", d)
	}
}
