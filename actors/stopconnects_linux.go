//go:build linux

package actors

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// synOnly is a socket filter that drops a TCP segment with SYN set and
// ACK clear, the first of a new connection, and lets every other pass (a
// TCP socket's filter reads from the TCP header: its 14th byte holds the
// flags).
var synOnly = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},
	{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: 0x12}, // SYN|ACK
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x02, Jt: 0, Jf: 1},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff},
}

// stopConnects makes ln, a listener about to be closed, take no new
// connection, those of its backlog still accepted: a client that
// connected after the last accept and before the close was reset by the
// close. Linux's (REFERENCE §7.4, §11.1): a UNIX listener is shut for
// reading, and a connect(2) to it then fails at once with ECONNREFUSED,
// as once it is closed; a TCP listener gets a filter that drops the SYN
// of a new connection, whose client sends it again a second later and is
// refused by the closed port. shutdown(2) of a TCP listener would stop
// it listening and reset its backlog, and a backlog of 0 still takes one
// connection. An MPTCP listener (Go's net.Listen makes one where the
// kernel has it; the daemon's admin listener is plain TCP) refuses a
// filter, EOPNOTSUPP, and is left as it is, as a listener with no socket.
func stopConnects(ln net.Listener) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		domain, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		switch {
		case err != nil:
		case domain == unix.AF_UNIX:
			unix.Shutdown(int(fd), unix.SHUT_RD)
		case domain == unix.AF_INET || domain == unix.AF_INET6:
			prog := unix.SockFprog{Len: uint16(len(synOnly)), Filter: (*unix.SockFilter)(unsafe.Pointer(&synOnly[0]))}
			unix.SetsockoptSockFprog(int(fd), unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog)
		}
	})
}
