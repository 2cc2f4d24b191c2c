package actors

import "strconv"

// itoa formats a pid; 0 (no process) is the empty field.
func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
