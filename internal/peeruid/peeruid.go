package peeruid

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// ErrUnsupported is Of's error where the kernel cannot be asked
// (macOS, FreeBSD).
var ErrUnsupported = errors.New("the owner of a loopback TCP connection cannot be looked up on this platform")

// ErrNotLoopback is Of's error for a connection whose ends are not both
// loopback addresses (or that is not TCP).
var ErrNotLoopback = errors.New("not a TCP connection between two loopback addresses")

// Of returns the uid that owns the client's end of c, an accepted TCP
// connection between two loopback addresses.
func Of(c net.Conn) (uint32, error) {
	local, lok := addrOf(c.LocalAddr())
	remote, rok := addrOf(c.RemoteAddr())
	if !lok || !rok {
		return 0, ErrNotLoopback
	}
	return OfAddrs(local, remote)
}

// OfAddrs is Of for the connection whose local end (the server's) is
// local and remote end (the client's) remote: what an HTTP handler knows
// of its connection (http.LocalAddrContextKey, Request.RemoteAddr).
func OfAddrs(local, remote netip.AddrPort) (uint32, error) {
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	if !local.IsValid() || !remote.IsValid() || !local.Addr().IsLoopback() || !remote.Addr().IsLoopback() {
		return 0, ErrNotLoopback
	}
	uid, err := lookup(remote, local)
	if err != nil {
		return 0, fmt.Errorf("the owner of %v: %w", remote, err)
	}
	return uid, nil
}

// IsLoopback reports whether both ends of c are loopback addresses: the
// connections Of may identify.
func IsLoopback(c net.Conn) bool {
	local, lok := addrOf(c.LocalAddr())
	remote, rok := addrOf(c.RemoteAddr())
	return lok && rok && local.Addr().IsLoopback() && remote.Addr().IsLoopback()
}

// addrOf is a TCP address as an AddrPort, an IPv4-mapped IPv6 address
// unmapped (::ffff:127.0.0.1 is 127.0.0.1).
func addrOf(a net.Addr) (netip.AddrPort, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap := ta.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ap.IsValid()
}
