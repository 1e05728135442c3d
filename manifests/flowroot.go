package manifests

import (
	"bytes"

	"go.yaml.in/yaml/v4"
)

// flowRootParses reports whether data starts with a flow collection ("{"
// or "[", as a JSON document does) that parses on its own. kubectl's parser
// stops right after the first document's root, so whatever follows such a
// root on its line or below is never read by kubectl; kapply's parser reads
// on and fails there.
func flowRootParses(data []byte) bool {
	end := flowRootEnd(data)
	if end < 0 {
		return false
	}
	var doc yaml.Node
	return yaml.Unmarshal(append(bytes.Clone(data[:end]), '\n'), &doc) == nil
}

// flowRootEnd returns the offset just after the flow collection that data's
// content starts with, or -1.
func flowRootEnd(data []byte) int {
	i := 0
	if hasPrefix(data, bomUTF8) {
		i = len(bomUTF8)
	}
	for i < len(data) { // blank lines, comments, a "---" line
		end, next := nextLine(data, i)
		j := i
		for j < end && (data[j] == ' ' || data[j] == '\t') {
			j++
		}
		if j < end && data[j] != '#' && !(j == i && isDocStart(data, i)) {
			i = j
			break
		}
		if next == i {
			return -1
		}
		i = next
	}
	if i >= len(data) || data[i] != '{' && data[i] != '[' {
		return -1
	}
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(data); i++ {
				if data[i] == '\'' {
					if i+1 < len(data) && data[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i > 0 && (data[i-1] == ' ' || data[i-1] == '\t') {
				for i < len(data) && data[i] != '\n' {
					i++
				}
			}
		}
	}
	return -1
}
