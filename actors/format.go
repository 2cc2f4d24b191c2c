package actors

import (
	"strconv"
	"time"
)

// itoa formats a pid; 0 (no process) is the empty field.
func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// epoch formats a time as Unix seconds; the zero time is the empty field.
func epoch(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10)
}
