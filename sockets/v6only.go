package sockets

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// BindError is a failed bind(2) of a TCP socket, `bind ADDRESS: REASON`,
// the address resolved.
// V6Only tells whether that socket took IPv6 only: an IPv6 socket with
// IPV6_V6ONLY set, by ipv6only=1 or by the system's default (FreeBSD's,
// Linux's net.ipv6.bindv6only=1); false for an IPv4 one. It lets the
// controller say which socket of cfkd's holds the port (REFERENCE §3)
// without guessing the system's default.
type BindError struct {
	Addr   netip.AddrPort // host and service names resolved
	Err    error
	V6Only bool
}

func (e *BindError) Error() string { return "bind " + e.Addr.String() + ": " + e.Err.Error() }
func (e *BindError) Unwrap() error { return e.Err }

// v6onlyOf reads IPV6_V6ONLY of the socket fd; false when it cannot be read
// (an IPv4 socket).
func v6onlyOf(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
	return err == nil && v == 1
}

// TakesIPv6Only tells whether the bound socket f is an IPv6 socket that
// takes IPv6 only (see BindError). One getsockopt(2): it never waits.
func TakesIPv6Only(f *os.File) (only bool) {
	raw, err := f.SyscallConn()
	if err != nil {
		return false
	}
	raw.Control(func(fd uintptr) { only = v6onlyOf(int(fd)) })
	return only
}

// BoundAddr is the address and port the bound TCP socket f listens on
// (getsockname(2): it never waits); false for another kind of socket.
func BoundAddr(f *os.File) (ap netip.AddrPort, ok bool) {
	raw, err := f.SyscallConn()
	if err != nil {
		return ap, false
	}
	raw.Control(func(fd uintptr) {
		sa, err := unix.Getsockname(int(fd))
		if err != nil {
			return
		}
		switch a := sa.(type) {
		case *unix.SockaddrInet4:
			ap, ok = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)), true
		case *unix.SockaddrInet6:
			ap, ok = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)), true
		}
	})
	return ap, ok
}
