package protocol

import "testing"

// "an address with colons and no port is TCP only when
// it is an IPv6 address". The check cuts a zone off at '%' and parses what
// is before it only: an IPv6 address with a zone and a port written
// without brackets passes, the port taken into the zone, and is dialled as
// [fe80::1%eth0:7000]:11311 ("Cannot get a socket", exit 1), the very
// failure the commit made a usage error.
func TestParseAddressZoneWithPort(t *testing.T) {
	for _, in := range []string{"fe80::1%eth0:7000", "::1%lo:7000", "fe80::1%eth0:"} {
		if network, address, err := ParseAddress(in); err == nil {
			t.Errorf("ParseAddress(%q) = %s %s, want an invalid address", in, network, address)
		}
	}
}
