package manifests

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// textError is an input that is not text we can read, at a byte offset of
// what was decoded so far.
type textError struct {
	off int
	msg string
}

const (
	bomUTF8    = "\xEF\xBB\xBF"
	bomUTF16LE = "\xFF\xFE"
	bomUTF16BE = "\xFE\xFF"
	bomUTF32LE = "\xFF\xFE\x00\x00"
	bomUTF32BE = "\x00\x00\xFE\xFF"
)

func hasPrefix(data []byte, prefix string) bool {
	return len(data) >= len(prefix) && string(data[:len(prefix)]) == prefix
}

// toText returns data as UTF-8 without a byte order mark, and whether it had
// one (kubectl reads a file with a BOM as YAML, never as JSON). UTF-16 needs
// a BOM to be recognised: without one its NUL bytes mark it as binary, which
// is what it looks like to every other tool too. On error the text decoded
// up to the problem is returned, so that the problem can be located in it.
func toText(data []byte) ([]byte, bool, *textError) {
	switch {
	case hasPrefix(data, bomUTF32LE), hasPrefix(data, bomUTF32BE):
		return nil, true, &textError{0, "not a text file (UTF-32 is not supported; convert it to UTF-8)"}
	case hasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case hasPrefix(data, bomUTF16LE):
		text, err := fromUTF16(data[2:], false)
		return text, true, err
	case hasPrefix(data, bomUTF16BE):
		text, err := fromUTF16(data[2:], true)
		return text, true, err
	default:
		return data, false, checkText(data)
	}
	return data, true, checkText(data)
}

func fromUTF16(b []byte, bigEndian bool) ([]byte, *textError) {
	out := make([]byte, 0, len(b)+len(b)/2)
	unit := func(i int) rune {
		if bigEndian {
			return rune(b[i])<<8 | rune(b[i+1])
		}
		return rune(b[i+1])<<8 | rune(b[i])
	}
	for i := 0; i+1 < len(b); i += 2 {
		r := unit(i)
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00 && i+3 < len(b):
			r2 := unit(i + 2)
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				out = utf8.AppendRune(out, d)
				i += 2
				continue
			}
			return out, &textError{len(out), "not a text file (invalid UTF-16: unpaired surrogate)"}
		case utf16.IsSurrogate(r):
			return out, &textError{len(out), "not a text file (invalid UTF-16: unpaired surrogate)"}
		}
		out = utf8.AppendRune(out, r)
	}
	if len(b)%2 != 0 {
		return out, &textError{len(out), "not a text file (odd number of bytes in UTF-16)"}
	}
	return out, checkText(out)
}

// checkText finds the first byte that cannot be in a manifest: NUL and
// invalid UTF-8 mean a binary file, and other C0 control characters are
// refused by YAML (and, raw, by JSON) anyway; finding them here gives their
// exact position.
func checkText(text []byte) *textError {
	for i := 0; i < len(text); {
		c := text[i]
		if c >= 0x20 && c < 0x80 || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		if c == 0 {
			return &textError{i, "not a text file (NUL byte)"}
		}
		if c < 0x20 {
			return &textError{i, fmt.Sprintf("control character U+%04X is not allowed; write it as an escape in a double-quoted string", c)}
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size == 1 {
			return &textError{i, "not a text file (invalid UTF-8)"}
		}
		i += size
	}
	return nil
}

// checkYAMLText finds the first character that YAML 1.1, and so kubectl,
// refuses in a YAML document though JSON takes it: DEL, the C1 controls but
// NEL, and U+FFFE and U+FFFF. It returns the offset, or -1.
func checkYAMLText(text []byte) (int, rune) {
	for i := 0; i < len(text); {
		c := text[i]
		if c < 0x7F {
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == 0x7F || r >= 0x80 && r <= 0x9F && r != 0x85 || r == 0xFFFE || r == 0xFFFF {
			return i, r
		}
		i += size
	}
	return -1, 0
}

// lineBreak returns the length of the line break at text[i], or 0. Breaks are
// counted the way the YAML parser counts them (LF, CRLF, CR, and the Unicode
// NEL, LS and PS) so that positions computed here agree with its own.
func lineBreak(text []byte, i int) int {
	switch text[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(text) && text[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xC2:
		if i+1 < len(text) && text[i+1] == 0x85 {
			return 2
		}
	case 0xE2:
		if i+2 < len(text) && text[i+1] == 0x80 && (text[i+2] == 0xA8 || text[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

// nextLine returns the offset where the line holding text[i] ends (its break
// excluded) and the offset where the next line starts.
func nextLine(text []byte, i int) (end, next int) {
	for ; i < len(text); i++ {
		switch text[i] {
		case '\n', '\r', 0xC2, 0xE2:
			if n := lineBreak(text, i); n > 0 {
				return i, i + n
			}
		}
	}
	return len(text), len(text)
}

// lineIndex holds the offsets where lines start, to turn offsets into
// positions without rescanning the text.
type lineIndex []int

func newLineIndex(text []byte) lineIndex {
	ix := lineIndex{0}
	for i := 0; ; {
		end, next := nextLine(text, i)
		if end == next {
			return ix
		}
		ix = append(ix, next)
		i = next
	}
}

// pos gives the 1-based line and column (in characters, as the YAML parser
// counts them) of text[off].
func (ix lineIndex) pos(text []byte, off int) mark {
	lo, hi := 0, len(ix)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ix[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return mark{line: lo + 1, col: utf8.RuneCount(text[ix[lo]:off]) + 1}
}
