package sockets

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// backlogOf reads the backlog of a listening socket from TCP_INFO, as
// Linux reports it.
func backlogOf(t *testing.T, f *os.File) int {
	t.Helper()
	info, err := unix.GetsockoptTCPInfo(int(f.Fd()), unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		t.Fatal(err)
	}
	return int(info.Sacked) // a listening socket's maximum backlog
}
