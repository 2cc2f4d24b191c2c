package actors

import (
	"net"
	"net/netip"
	"os"
	"sort"

	"github.com/cfk/cfk/sockets"
)

// This file tells whether a ready=tcp: probe reached a socket cfkd holds
// (REFERENCE §2.9, §3): the kernel completes a connection into the
// backlog of a listening socket whether anyone accepts it or not, so a
// check on the address of one of cfkd's bound sockets passes at once,
// ready or not. The probe's goroutine looks, once its check passed: the
// address it connected to (its host name resolved by its dial, nothing
// looked up again) against the addresses the sockets are bound on
// (getsockname on cfkd's own fds). No actor does any of it.

// heldSocket is one of cfkd's bound sockets, as a probe sees it.
type heldSocket struct {
	name string
	file *os.File
}

// heldSockets are the bound sockets of files (a service actor's table,
// never mutated), in name order. Nothing is read from them here: the
// probe's goroutine does that, if its check passes.
func heldSockets(files map[string]*os.File) []heldSocket {
	held := make([]heldSocket, 0, len(files))
	for name, f := range files {
		held = append(held, heldSocket{name: name, file: f})
	}
	sort.Slice(held, func(i, j int) bool { return held[i].name < held[j].name })
	return held
}

// heldBy is the name of the socket of held that the connection conn made
// went to ("" for none): one bound on the address conn reached, or on
// the wildcard address of its port when that address is the host's own
// (0.0.0.0 for IPv4, [::] for IPv6 and, unless it takes IPv6 only, IPv4
// too). A socket closed since (unbound) is not held. It reads the
// sockets (getsockname, getsockopt) and perhaps the host's addresses:
// never called inside Receive.
func heldBy(held []heldSocket, conn net.Conn) string {
	remote, ok := conn.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	to := remote.AddrPort()
	ip := to.Addr().Unmap().WithZone("")
	var local netip.Addr
	if l, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		local = l.AddrPort().Addr().Unmap().WithZone("")
	}
	for _, h := range held {
		bound, ok := sockets.BoundAddr(h.file)
		if !ok || bound.Port() != to.Port() {
			continue // a UNIX socket, one closed since, another port
		}
		b := bound.Addr().Unmap().WithZone("")
		switch {
		case b == ip:
			return h.name
		case !b.IsUnspecified():
		case b.Is4() && !ip.Is4():
		case b.Is6() && ip.Is4() && sockets.TakesIPv6Only(h.file):
		case ownAddr(ip, local):
			return h.name
		}
	}
	return ""
}

// ownAddr says whether ip is an address of this host: a loopback one,
// the one the connection came from (a connection to an address of the
// host's own comes from it), or one of its interfaces'.
func ownAddr(ip, local netip.Addr) bool {
	if ip.IsLoopback() || ip == local {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if x, ok := netip.AddrFromSlice(n.IP); ok && x.Unmap() == ip {
				return true
			}
		}
	}
	return false
}
