package testkit

import (
	"syscall"
	"testing"
)

// MakeFIFO makes a FIFO at path (every platform cfk builds for: the
// tests of files that must not be a FIFO run there too).
func MakeFIFO(t testing.TB, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}
