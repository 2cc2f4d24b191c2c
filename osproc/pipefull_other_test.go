//go:build !linux

package osproc

import "testing"

// pipeFull skips the test: it reads the pipe's size and contents with
// F_GETPIPE_SZ and FIONREAD as Linux has them (see pipefull_linux_test.go).
func pipeFull(t *testing.T, r int, what string) {
	t.Helper()
	t.Skip("needs F_GETPIPE_SZ (Linux)")
}
