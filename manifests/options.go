package manifests

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"
)

const (
	// DefaultMaxTotalBytes caps what one Read takes in from all inputs: far
	// above any real bundle (the largest in the test corpus is 1.5 MB), low
	// enough that a wrong path such as a disk image fails fast.
	DefaultMaxTotalBytes int64 = 64 << 20
	// DefaultHTTPTimeout bounds one URL fetch, body included.
	DefaultHTTPTimeout = 30 * time.Second
)

// ReadOptions says what Read reads and within which limits. The zero value
// with Paths set is valid: zero limits mean the defaults, and a nil Stdin
// makes "-" an error rather than a read of the process's standard input.
type ReadOptions struct {
	// Paths are the -f values, in order: a file (read whatever its
	// extension), a directory (its .yaml, .yml and .json files, in name
	// order), "-" for Stdin, or an http:// or https:// URL.
	Paths []string
	// Kustomize is the -k directory: a kustomization rendered in process, as
	// `kubectl kustomize` does. It excludes Paths and Recursive.
	Kustomize string
	// Recursive makes directories be read with their subdirectories.
	Recursive bool
	// MaxTotalBytes caps the bytes read from all inputs together; 0 means
	// DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// HTTPTimeout bounds each URL fetch, from connecting to the end of the
	// body; 0 means DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// Stdin is what "-" reads.
	Stdin io.Reader
	// HTTPClient fetches URLs; nil means a client with Go's default
	// transport (proxies from the environment). Set it for a custom CA.
	HTTPClient *http.Client
}

// DefaultReadOptions returns the options the kapply command starts from:
// default limits and the process's standard input for "-".
func DefaultReadOptions() ReadOptions {
	return ReadOptions{
		MaxTotalBytes: DefaultMaxTotalBytes,
		HTTPTimeout:   DefaultHTTPTimeout,
		Stdin:         os.Stdin,
	}
}

var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// Validate reports options Read cannot work with.
func (o ReadOptions) Validate() error {
	var errs []error
	switch {
	case o.Kustomize != "" && len(o.Paths) > 0:
		errs = append(errs, errors.New("only one of -f or -k can be given"))
	case o.Kustomize != "" && o.Recursive:
		errs = append(errs, errors.New("-k cannot be used with -R: a kustomization lists its own files"))
	case o.Kustomize == "" && len(o.Paths) == 0:
		errs = append(errs, errors.New("no input: give -f (a file, directory, URL or \"-\") or -k (a kustomization directory)"))
	}
	stdin := 0
	for _, p := range o.Paths {
		switch {
		case p == "":
			errs = append(errs, errors.New("an input path is empty"))
		case p == "-":
			stdin++
			if stdin == 2 {
				errs = append(errs, errors.New(`standard input ("-") can be read only once`))
			}
		default:
			if m := schemeRE.FindStringSubmatch(p); m != nil && !isURL(p) {
				errs = append(errs, &ReadError{Path: p, Err: fmt.Errorf("unsupported URL scheme %q: only http and https are", m[1])})
			}
		}
	}
	if o.MaxTotalBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxTotalBytes is negative (%d)", o.MaxTotalBytes))
	}
	if o.HTTPTimeout < 0 {
		errs = append(errs, fmt.Errorf("HTTPTimeout is negative (%s)", o.HTTPTimeout))
	}
	return errors.Join(errs...)
}

// withDefaults fills in zero limits.
func (o ReadOptions) withDefaults() ReadOptions {
	if o.MaxTotalBytes == 0 {
		o.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if o.HTTPTimeout == 0 {
		o.HTTPTimeout = DefaultHTTPTimeout
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	return o
}

func isURL(p string) bool {
	return hasPrefixFold(p, "http://") || hasPrefixFold(p, "https://")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
