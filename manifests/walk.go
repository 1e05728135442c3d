package manifests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// isManifestName reports whether a directory's file is read: .yaml, .yml
// and .json, case ignored so that FOO.YAML counts too.
func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// walker lists the manifest files of one directory given with -f.
type walker struct {
	r          *reader
	root       string // as the user gave it
	realRoot   string // absolute, links resolved
	visited    map[string]bool
	files      []walkedFile
	failed     bool
	hasSubdirs bool
}

type walkedFile struct{ display, real string }

// dir reads the manifest files of a directory, in name order, subdirectories
// too when Recursive. A symbolic link is followed only to a file or
// directory inside the directory given: a link elsewhere would let a
// checked-out repository make kapply read, say, a file in the user's home,
// so it is an error rather than silently skipped. FIFOs, devices and sockets
// are skipped: reading them could block or never end.
func (r *reader) dir(root string) {
	real, err := filepath.EvalSymlinks(root)
	if err == nil {
		real, err = filepath.Abs(real)
	}
	if err != nil {
		r.fail(root, pathError(err))
		return
	}
	w := &walker{r: r, root: root, realRoot: real, visited: map[string]bool{real: true}}
	w.walk(root, real)
	if len(w.files) == 0 && !w.failed {
		r.fail(root, w.noManifests())
		return
	}
	for _, f := range w.files {
		if r.stopped {
			return
		}
		r.file(f.display, f.real)
	}
}

func (w *walker) noManifests() error {
	where := "in this directory"
	switch {
	case w.r.opts.Recursive:
		where = "in this directory or its subdirectories"
	case w.hasSubdirs:
		where = "in this directory (subdirectories are read only with -R/--recursive)"
	}
	return fmt.Errorf("no manifest files (.yaml, .yml or .json) %s", where)
}

func (w *walker) fail(path string, err error) {
	w.failed = true
	w.r.fail(path, err)
}

func (w *walker) walk(display, real string) {
	entries, err := os.ReadDir(real)
	if err != nil {
		w.fail(display, pathError(err))
		return
	}
	for _, e := range entries {
		name := e.Name()
		dp, rp := filepath.Join(display, name), filepath.Join(real, name)
		switch t := e.Type(); {
		case t.IsRegular():
			if isManifestName(name) {
				w.files = append(w.files, walkedFile{dp, rp})
			}
		case t.IsDir():
			w.subdir(dp, rp)
		case t&fs.ModeSymlink != 0:
			w.link(dp, rp, name)
		}
	}
}

func (w *walker) subdir(display, real string) {
	w.hasSubdirs = true
	if !w.r.opts.Recursive || w.visited[real] {
		return // a second way into a directory already read, such as a link loop
	}
	w.visited[real] = true
	w.walk(display, real)
}

func (w *walker) link(display, real, name string) {
	target, err := filepath.EvalSymlinks(real)
	if err == nil {
		target, err = filepath.Abs(target)
	}
	if err != nil {
		if isManifestName(name) || w.r.opts.Recursive {
			w.fail(display, linkError(real))
		}
		return
	}
	fi, err := os.Stat(target)
	if err != nil {
		w.fail(display, pathError(err))
		return
	}
	switch {
	case fi.Mode().IsRegular():
		if !isManifestName(name) {
			return
		}
		if !w.inside(target) {
			w.fail(display, w.outside(target))
			return
		}
		w.files = append(w.files, walkedFile{display, target})
	case fi.IsDir():
		if !w.r.opts.Recursive {
			w.hasSubdirs = true
			return
		}
		if !w.inside(target) {
			w.fail(display, w.outside(target))
			return
		}
		w.subdir(display, target)
	}
}

func (w *walker) inside(target string) bool {
	root := w.realRoot
	if !strings.HasSuffix(root, string(filepath.Separator)) {
		root += string(filepath.Separator)
	}
	return target == w.realRoot || strings.HasPrefix(target, root)
}

func (w *walker) outside(target string) error {
	return fmt.Errorf("symbolic link leads outside %s (to %s); only links within the directory are followed", w.root, target)
}

// linkError says why a link cannot be followed.
func linkError(path string) error {
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return errors.New("symbolic link loop")
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("broken symbolic link: its target does not exist")
	case err != nil:
		return pathError(err)
	}
	return errors.New("symbolic link cannot be resolved")
}
