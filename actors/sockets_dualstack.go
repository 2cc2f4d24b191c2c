package actors

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"syscall"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/sockets"
)

// dualStackHint says why a bind of cfg (socket name) failed `address
// already in use` when another socket of cfkd's explains it: an IPv6
// wildcard socket (`::`) without ipv6only=1 takes IPv4 on its port too
// (Linux's default, net.ipv6.bindv6only=0), so it and an IPv4 socket
// on the same port conflict whichever is bound first (REFERENCE §1.2,
// §3). Whether a `::` socket takes IPv4 is read from the socket itself
// (IPV6_V6ONLY of the failed one, in its sockets.BindError, or of the
// bound one), never guessed from ipv6only=1: a system whose default is
// IPv6 only (FreeBSD, bindv6only=1) gets no hint that would blame a
// socket not in the way. err is returned as it is otherwise, and when a socket of cfkd's
// of the same family holds the port too (`::` beside `[::1]` or another
// `::`): ipv6only=1 would not make that bind succeed. Only literal
// addresses and numeric ports are compared: a name is resolved in the
// socket's bind.
func (c *Controller) dualStackHint(name string, cfg messages.SocketConfig, err error) error {
	if !errors.Is(err, syscall.EADDRINUSE) || cfg.IsUnix() {
		return err
	}
	mine, ok := literal(cfg.Host)
	if !ok || cfg.Service == "0" {
		return err
	}
	type held struct {
		name   string
		e      *sockEntry
		theirs netip.Addr
	}
	var others []held
	for n, e := range c.sockets {
		if n == name || e.file == nil || e.service != cfg.Service {
			continue
		}
		theirs, ok := literal(e.boundCfg.Host)
		if !ok {
			continue
		}
		if sameFamilyOverlap(mine, theirs) {
			return err // that one is in the way, whatever ipv6only says
		}
		others = append(others, held{n, e, theirs})
	}
	sort.Slice(others, func(i, j int) bool { return others[i].name < others[j].name })
	mineOnly := cfg.IPv6Only
	if be := (*sockets.BindError)(nil); errors.As(err, &be) {
		mineOnly = be.V6Only
	}
	for _, o := range others {
		n, e, theirs := o.name, o.e, o.theirs
		addr := e.boundCfg.Address(e.service)
		switch {
		case dualStack(mine, mineOnly) && theirs.Is4():
			return fmt.Errorf("%w (socket '%s' is bound on %s, and %s without ipv6only=1 takes IPv4 too: declare 'socket %s ipv6only=1')",
				err, n, addr, cfg.Address(cfg.Service), name)
		case mine.Is4() && dualStack(theirs, sockets.TakesIPv6Only(e.file)):
			return fmt.Errorf("%w (socket '%s' is bound on %s, which takes IPv4 too: declare 'socket %s ipv6only=1' and bind it again)",
				err, n, addr, n)
		}
	}
	return err
}

// literal is host as an address when it is an IP literal, an IPv4-mapped
// one as IPv4.
func literal(host string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// sameFamilyOverlap tells whether sockets on a and b, of one family,
// conflict on a port: the same address, or either the wildcard.
func sameFamilyOverlap(a, b netip.Addr) bool {
	return a.Is4() == b.Is4() && (a == b || a.IsUnspecified() || b.IsUnspecified())
}

// dualStack tells whether a socket on ip takes IPv4 too: `::` that does
// not take IPv6 only.
func dualStack(ip netip.Addr, v6only bool) bool {
	return ip.Is6() && ip.IsUnspecified() && !v6only
}
