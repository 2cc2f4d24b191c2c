package messages

import "net/netip"

// checkIPv6Only refuses ipv6only=1 on a socket that cannot be an IPv6
// one: an IPv4 literal host (an IPv4-mapped one too) or unix/; and such a
// host given to a socket that has ipv6only=1 (REFERENCE §1.2). A host
// name is taken: it is resolved only at the bind, and an IPv4 address it
// gives then ignores the attribute. attr is the attribute just set, whose
// value v the error names.
func (c SocketConfig) checkIPv6Only(attr SocketAttr, v Value) error {
	if !c.IPv6Only || c.Host == "" {
		return nil
	}
	why := ""
	if c.IsUnix() {
		why = "a UNIX socket"
	} else if ip, err := netip.ParseAddr(c.Host); err == nil && ip.Unmap().Is4() {
		why = "an IPv4 address"
	}
	if why == "" {
		return nil
	}
	if attr == SockIPv6Only {
		return invalidValue(string(attr), "1", "an IPv6 socket: socket "+c.Name+" is on "+c.Host+
			", "+why+", which takes no IPv6")
	}
	return invalidValue(string(attr), v.Str, "an IPv6 address or a host name: socket "+c.Name+
		" has ipv6only=1 (unset it first)")
}
