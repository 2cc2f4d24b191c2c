//go:build linux

package daemon

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestListenTCPIsPlainTCP: the admin TCP listener is plain TCP, not the
// MPTCP one net.Listen makes where the kernel has it: an MPTCP listener
// takes no socket filter (EOPNOTSUPP), and a shutdown keeps new clients
// out of it with one while it refuses its backlog (REFERENCE §7.4).
func TestListenTCPIsPlainTCP(t *testing.T) {
	ln, err := listen(Address{Network: "tcp", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rc, err := ln.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var proto int
	var perr error
	rc.Control(func(fd uintptr) { proto, perr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PROTOCOL) })
	if perr != nil {
		t.Fatal(perr)
	}
	if proto != unix.IPPROTO_TCP {
		t.Fatalf("the admin listener's protocol is %d, want IPPROTO_TCP (%d)", proto, unix.IPPROTO_TCP)
	}
}
