//go:build !linux

package sockets

import (
	"os"
	"testing"
)

// backlogOf skips the test: only Linux reports a listening socket's
// backlog (TCP_INFO).
func backlogOf(t *testing.T, f *os.File) int {
	t.Helper()
	t.Skip("the backlog of a socket is read from Linux's TCP_INFO")
	return 0
}
