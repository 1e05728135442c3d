package manifests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Read reads every input of opts, decodes it, flattens Lists and validates
// the objects (required fields, generateName, kustomizations, duplicates
// across all inputs, size limits). It returns all objects in input order, or
// nil and an error: nothing is to be applied from inputs that are partly
// invalid. Independent problems are all reported, joined: *ReadError for an
// input as a whole, *DecodeError for a document. Only the total size limit
// and a cancelled ctx stop the reading early.
//
// With opts.Kustomize, the kustomization in that directory is rendered
// instead, in process, and each object's Source is its original file and
// document.
func Read(ctx context.Context, opts ReadOptions) ([]Object, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Kustomize != "" {
		return kustomize(ctx, opts.Kustomize, opts.withDefaults().MaxTotalBytes)
	}
	r := &reader{
		opts:      opts.withDefaults(),
		seen:      make(map[string]bool),
		remaining: opts.withDefaults().MaxTotalBytes,
	}
	for _, p := range opts.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch {
		case p == "-":
			r.stdin()
		case isURL(p):
			r.fetch(ctx, p)
		default:
			r.path(p)
		}
		if r.stopped {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.errs = append(r.errs, checkDuplicates(r.objs)...)
	if len(r.errs) > 0 {
		return nil, errors.Join(r.errs...)
	}
	objs := make([]Object, len(r.objs))
	for i, d := range r.objs {
		objs[i] = d.Object
	}
	return objs, nil
}

// reader is the state of one Read.
type reader struct {
	opts      ReadOptions
	remaining int64           // bytes still allowed by MaxTotalBytes
	seen      map[string]bool // real paths of files already read
	objs      []decoded
	errs      []error
	stopped   bool // the total size limit was hit
}

func (r *reader) fail(path string, err error) {
	r.errs = append(r.errs, &ReadError{Path: path, Err: err})
}

func (r *reader) decode(path string, data []byte) {
	ds, err := decode(path, data)
	if err != nil {
		r.errs = append(r.errs, err)
		return
	}
	r.objs = append(r.objs, ds...)
}

// readLimited reads rd whole within what MaxTotalBytes has left. size is the
// length when known in advance (a regular file), to fail before reading, or
// -1.
func (r *reader) readLimited(path string, rd io.Reader, size int64) ([]byte, bool) {
	if size > r.remaining {
		r.overLimit(path)
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(rd, r.remaining+1))
	if err != nil {
		r.fail(path, err)
		return nil, false
	}
	if int64(len(data)) > r.remaining {
		r.overLimit(path)
		return nil, false
	}
	r.remaining -= int64(len(data))
	return data, true
}

func (r *reader) overLimit(path string) {
	r.fail(path, fmt.Errorf("the inputs total more than %s, the limit for one run", formatSize(r.opts.MaxTotalBytes)))
	r.stopped = true
}

func formatSize(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (r *reader) stdin() {
	if r.opts.Stdin == nil {
		r.fail("-", errors.New("standard input is not available"))
		return
	}
	if data, ok := r.readLimited("-", r.opts.Stdin, -1); ok {
		r.decode("-", data)
	}
}

// path reads a path given by the user: a directory is walked, anything else
// is read as a file whatever its name or type, so that "-f <(cmd)", a FIFO,
// works as it does with kubectl.
func (r *reader) path(p string) {
	fi, err := os.Stat(p)
	if err != nil {
		r.fail(p, pathError(err))
		return
	}
	if fi.IsDir() {
		r.dir(p)
		return
	}
	r.file(p, p)
}

// file reads the file at open and decodes it as display, once per real file:
// a file reached twice (named twice, or through a link) holds the same
// objects, which are not duplicates of each other.
func (r *reader) file(display, open string) {
	if real, err := filepath.EvalSymlinks(open); err == nil {
		if abs, err := filepath.Abs(real); err == nil {
			real = abs
		}
		if r.seen[real] {
			return
		}
		r.seen[real] = true
	}
	f, err := os.Open(open)
	if err != nil {
		r.fail(display, pathError(err))
		return
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	if data, ok := r.readLimited(display, f, size); ok {
		r.decode(display, data)
	}
}

// pathError drops the operation and path from an *fs.PathError: the
// ReadError around it already names the path.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
