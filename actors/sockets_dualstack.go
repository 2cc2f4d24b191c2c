package actors

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"syscall"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/sockets"
)

// dualStackHint says why a bind of cfg (socket name) failed `address
// already in use` when another socket of cfkd's explains it: an IPv6
// wildcard socket (`::`) that does not take IPv6 only takes IPv4 on its
// port too (Linux's default, net.ipv6.bindv6only=0), so it and an IPv4
// socket on the same port conflict whichever is bound first (REFERENCE
// §1.2, §3). Both sides are read from the sockets, never guessed from
// the declarations: the failed bind's address (host and service names
// resolved) and IPV6_V6ONLY from its sockets.BindError, each bound
// socket's from getsockname and getsockopt (a syscall each, on a local
// fd: nothing waits). So a system whose `::` takes IPv6 only (FreeBSD,
// bindv6only=1) gets no hint that would blame a socket not in the way.
// When a socket of cfkd's of the same family holds the port too (the
// same address declared twice, `::` beside `[::1]` or another `::`),
// ipv6only=1 would not make that bind succeed: the error names that
// socket alone (the first in name order). err is returned as it is
// otherwise.
func (c *Controller) dualStackHint(name string, cfg messages.SocketConfig, err error) error {
	var be *sockets.BindError
	if !errors.Is(err, syscall.EADDRINUSE) || !errors.As(err, &be) || be.Addr.Port() == 0 {
		return err
	}
	mine, port := be.Addr.Addr().Unmap().WithZone(""), be.Addr.Port()
	type held struct {
		name   string
		e      *sockEntry
		theirs netip.Addr
	}
	var others, inWay []held
	for n, e := range c.sockets {
		if n == name || e.file == nil || e.boundCfg.IsUnix() {
			continue
		}
		ap, ok := sockets.BoundAddr(e.file)
		if !ok || ap.Port() != port {
			continue
		}
		theirs := ap.Addr().Unmap()
		if sameFamilyOverlap(mine, theirs) {
			inWay = append(inWay, held{n, e, theirs})
			continue
		}
		others = append(others, held{n, e, theirs})
	}
	if len(inWay) > 0 {
		// that one is in the way, whatever ipv6only says: named, with
		// no declaration to make
		sort.Slice(inWay, func(i, j int) bool { return inWay[i].name < inWay[j].name })
		o := inWay[0]
		return fmt.Errorf("%w (socket '%s' is bound on %s)", err, o.name, o.e.boundCfg.Address(o.e.service))
	}
	sort.Slice(others, func(i, j int) bool { return others[i].name < others[j].name })
	for _, o := range others {
		n, e, theirs := o.name, o.e, o.theirs
		addr := e.boundCfg.Address(e.service)
		switch {
		case dualStack(mine, be.V6Only) && theirs.Is4():
			return fmt.Errorf("%w (socket '%s' is bound on %s, and %s without ipv6only=1 takes IPv4 too: declare 'socket %s ipv6only=1')",
				err, n, addr, cfg.Address(strconv.Itoa(int(port))), name)
		case mine.Is4() && dualStack(theirs, sockets.TakesIPv6Only(e.file)) && e.cfg.IPv6Only:
			// declared since its bind: a bind of it would only say
			// it is bound already
			return fmt.Errorf("%w (socket '%s' is bound on %s, which takes IPv4 too, as it was bound before its ipv6only=1: unbind it and bind it again)",
				err, n, addr)
		case mine.Is4() && dualStack(theirs, sockets.TakesIPv6Only(e.file)):
			return fmt.Errorf("%w (socket '%s' is bound on %s, which takes IPv4 too: declare 'socket %s ipv6only=1', then unbind it and bind it again)",
				err, n, addr, n)
		}
	}
	return err
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
