package manifests

import (
	"math"
	"strconv"
	"strings"
)

// resolvePlain gives the value of an unquoted, untagged scalar by the YAML
// 1.1 rules of yaml.v2, which sigs.k8s.io/yaml and so kubectl use, so that a
// manifest means the same object with kapply as with kubectl: yes, no, on,
// off, y and n are booleans and 0644 is octal. The YAML 1.2 rules of newer
// parsers would quietly turn such booleans into strings.
func resolvePlain(s string) any {
	if s == "" {
		return nil
	}
	switch s[0] {
	case 'y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O', '~':
		switch s {
		case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
			return true
		case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
			return false
		case "~", "null", "Null", "NULL":
			return nil
		}
		return s
	case '.':
		switch s {
		case ".nan", ".NaN", ".NAN":
			return math.NaN()
		case ".inf", ".Inf", ".INF":
			return math.Inf(1)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	case '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		switch s {
		case "+.inf", "+.Inf", "+.INF":
			return math.Inf(1)
		case "-.inf", "-.Inf", "-.INF":
			return math.Inf(-1)
		}
		if !maybeNumber(s) {
			return s // quantities such as 500m and 256Mi, versions, dates
		}
		plain := strings.ReplaceAll(s, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return u
		}
		if isYAMLFloat(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return f
			}
		}
	}
	return s
}

// maybeNumber is a quick test that skips the number parsers (and the
// errors they allocate) for strings that cannot be numbers.
func maybeNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '+', c == '-', c == '.', c == '_', c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

// isYAMLFloat matches yaml.v2's ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
func isYAMLFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// jsonValue makes a resolved scalar into what kubectl would send: kubectl
// turns its YAML into JSON and back, so a float is written as encoding/json
// writes it (shortest digits, zeros after them) and read back as an int64
// when that text is an integer in range: 1.0 becomes 1, 1152921504606846976.0
// becomes 1152921504606847000, and -9223372036854775809 stays a float. An
// integer beyond int64 is a float. NaN and infinities have no JSON form.
func jsonValue(v any, at mark) (any, error) {
	switch v := v.(type) {
	case uint64:
		return float64(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errorAt(at, "NaN and infinite numbers cannot be sent to Kubernetes (JSON has no form for them)")
		}
		if abs := math.Abs(v); v != math.Trunc(v) || abs >= 1e21 {
			return v, nil // encoding/json writes these with a "." or an exponent
		}
		if i, err := strconv.ParseInt(strconv.FormatFloat(v, 'f', -1, 64), 10, 64); err == nil {
			return i, nil
		}
		return v, nil
	}
	return v, nil
}
