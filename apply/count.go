package apply

import "fmt"

// CountObjects is "1 object" or "N objects", for every summary and
// message that counts objects.
func CountObjects(n int) string {
	if n == 1 {
		return "1 object"
	}
	return fmt.Sprintf("%d objects", n)
}

// OfObjects is "K of N objects" (or "K of 1 object"), as messages that
// count a part of a run say it.
func OfObjects(k, n int) string {
	return fmt.Sprintf("%d of %s", k, CountObjects(n))
}
