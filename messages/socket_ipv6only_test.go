package messages

import "testing"

// REFERENCE §1.2: ipv6only=1 is refused on a socket that takes no IPv6
// (an IPv4 literal, unix/), and such a host on a socket that has it; a
// host name and an IPv6 address take it, and a diff names it.
func TestIPv6OnlyOnlyOnIPv6(t *testing.T) {
	c, err := applyLines(t, SocketConfig{Name: "web"}, "socket web ipv6only=yes", "socket web host=::", "socket web service=80")
	if err != nil {
		t.Fatal(err)
	}
	if want := (SocketConfig{Name: "web", Host: "::", Service: "80", IPv6Only: true}); c != want {
		t.Fatalf("config %+v, want %+v", c, want)
	}
	if got := DiffSocket(SocketConfig{Name: "web", Host: "::", Service: "80"}, c); len(got) != 1 || got[0] != "ipv6only" {
		t.Fatalf("diff %q, want ipv6only", got)
	}
	if _, err := applyLines(t, c, "socket web host=localhost", "socket web host=fe80::1%lo"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from  SocketConfig
		line  string
		error string
	}{
		{SocketConfig{Name: "web", Host: "0.0.0.0"}, "socket web ipv6only=1",
			`invalid value for ipv6only: "1" (want an IPv6 socket: socket web is on 0.0.0.0, an IPv4 address, which takes no IPv6)`},
		{SocketConfig{Name: "web", Host: "::ffff:127.0.0.1"}, "socket web ipv6only=on",
			`invalid value for ipv6only: "1" (want an IPv6 socket: socket web is on ::ffff:127.0.0.1, an IPv4 address, which takes no IPv6)`},
		{SocketConfig{Name: "web", Host: "unix/"}, "socket web ipv6only=1",
			`invalid value for ipv6only: "1" (want an IPv6 socket: socket web is on unix/, a UNIX socket, which takes no IPv6)`},
		{c, "socket web host=127.0.0.1",
			`invalid value for host: "127.0.0.1" (want an IPv6 address or a host name: socket web has ipv6only=1 (unset it first))`},
		{c, "socket web host=unix/",
			`invalid value for host: "unix/" (want an IPv6 address or a host name: socket web has ipv6only=1 (unset it first))`},
	} {
		got, err := applyLines(t, tc.from, tc.line)
		if err == nil || err.Error() != tc.error {
			t.Errorf("%s: error %v, want %s", tc.line, err, tc.error)
		}
		if got != tc.from {
			t.Errorf("%s: config %+v, want it unchanged", tc.line, got)
		}
	}
	// unset, the socket may move to IPv4; ipv6only=0 is taken anywhere
	if c, err = applyLines(t, c, "socket web ipv6only=", "socket web host=0.0.0.0", "socket web ipv6only=0"); err != nil || c.IPv6Only {
		t.Fatalf("after the unset: %+v %v", c, err)
	}
}
