package dynamicx

import "strings"

// contentEchoes are the phrases after which an error about a kubeconfig
// that does not parse quotes part of the file: sigs.k8s.io/yaml prints a
// mapping or list used as a key with %#v, and whatever it holds (a token,
// a key) with it. Every other load error names the file, a line or a
// field, never a value.
var contentEchoes = []string{"invalid map key: "}

// withoutContent returns err, or an error with the same chain whose
// message stops where it would quote the kubeconfig.
func withoutContent(err error) error {
	msg := err.Error()
	for _, p := range contentEchoes {
		if i := strings.Index(msg, p); i >= 0 {
			return &contentError{msg: msg[:i+len(p)] + "a mapping or a list used as a key (its content is not shown)", err: err}
		}
	}
	return err
}

// contentError is a kubeconfig error whose message had the file's content
// cut out.
type contentError struct {
	msg string
	err error
}

func (e *contentError) Error() string { return e.msg }
func (e *contentError) Unwrap() error { return e.err }
