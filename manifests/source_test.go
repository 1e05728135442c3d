package manifests

import (
	"errors"
	"io/fs"
	"testing"
)

func TestSourceString(t *testing.T) {
	tests := []struct {
		src  Source
		want string
	}{
		{Source{Path: "a.yaml", Doc: 3, Line: 10}, "a.yaml#3"},
		{Source{Path: "-", Doc: 1, Line: 1, Item: 2}, "-#1[2]"},
		{Source{Path: "https://example.com/x.yaml", Doc: 2}, "https://example.com/x.yaml#2"},
	}
	for _, tc := range tests {
		if got := tc.src.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestErrorTexts(t *testing.T) {
	cause := errors.New("kind is required")
	de := &DecodeError{Source: Source{Path: "a.yaml", Doc: 2, Line: 7}, Line: 9, Col: 3, Err: cause}
	if got, want := de.Error(), "a.yaml#2:9:3: kind is required"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	de.Source.Item = 4
	if got, want := de.Error(), "a.yaml#2:9:3: List item 4: kind is required"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(de, cause) {
		t.Error("DecodeError does not unwrap to its cause")
	}
	re := &ReadError{Path: "dir", Err: fs.ErrNotExist}
	if got, want := re.Error(), "dir: file does not exist"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(re, fs.ErrNotExist) {
		t.Error("ReadError does not unwrap to its cause")
	}
}
