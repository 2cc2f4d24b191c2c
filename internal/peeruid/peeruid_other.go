//go:build !linux

package peeruid

import "net/netip"

// lookup: macOS and FreeBSD have no lookup of a TCP socket's owner that
// an unprivileged process may make (FreeBSD's net.inet.tcp.getcred
// needs root, macOS has none): the callers treat the peer as unknown.
// Built and vetted (make lint), not run (REFERENCE §11).
func lookup(client, server netip.AddrPort) (uint32, error) { return 0, ErrUnsupported }
