package protocol

import "testing"

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, network, address string
		bad                  bool
	}{
		{in: "/tmp/cfkd.sock", network: "unix", address: "/tmp/cfkd.sock"},
		{in: "unix:/tmp/cfkd.sock", network: "unix", address: "/tmp/cfkd.sock"},
		{in: "unix:rel/sock", network: "unix", address: "rel/sock"},
		{in: "unix:sock", network: "unix", address: "sock"},
		{in: "tmp/cfkd.sock", network: "unix", address: "tmp/cfkd.sock"},
		{in: "./sock", network: "unix", address: "./sock"},
		{in: "/with:colon/sock", network: "unix", address: "/with:colon/sock"},
		{in: "127.0.0.1:7000", network: "tcp", address: "127.0.0.1:7000"},
		{in: "yourserver.com:6000", network: "tcp", address: "yourserver.com:6000"},
		{in: "localhost:http", network: "tcp", address: "localhost:http"},
		{in: "host:7000/", network: "tcp", address: "host:7000"},
		{in: ":7000", network: "tcp", address: "localhost:7000"},
		{in: "[::1]:7000", network: "tcp", address: "[::1]:7000"},
		{in: "localhost", network: "tcp", address: "localhost:11311"},
		{in: "cfkd.sock", network: "tcp", address: "cfkd.sock:11311"},
		{in: "10.0.0.1", network: "tcp", address: "10.0.0.1:11311"},
		{in: "::1", network: "tcp", address: "[::1]:11311"},
		{in: "[::1]", network: "tcp", address: "[::1]:11311"},
		{in: "tcp:127.0.0.1:7000", network: "tcp", address: "127.0.0.1:7000"},
		{in: "tcp:localhost", network: "tcp", address: "localhost:11311"},
		{in: "", bad: true},
		{in: "unix:", bad: true},
		{in: "host:", bad: true},
		{in: "[::1", bad: true},
		{in: "foo:bar:baz", bad: true},
		{in: ":99999", bad: true},
		{in: "host:65536", bad: true},
		{in: "host:184467440737095516160", bad: true},
		{in: "host:65535", network: "tcp", address: "host:65535"},
		{in: "host:0", network: "tcp", address: "host:0"},
		// a sign, which the dial and the listen read as a number's
		{in: ":-1", bad: true},
		{in: "host:+65536", bad: true},
		{in: "host:+80", network: "tcp", address: "host:+80"},
		{in: "[foo:bar]", bad: true},
		{in: "fe80::1%eth0", network: "tcp", address: "[fe80::1%eth0]:11311"},
	}
	for _, tc := range tests {
		network, address, err := ParseAddress(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseAddress(%q) = %s %s, want an error", tc.in, network, address)
			}
			continue
		}
		if err != nil || network != tc.network || address != tc.address {
			t.Errorf("ParseAddress(%q) = %q, %q, %v; want %q, %q", tc.in, network, address, err, tc.network, tc.address)
		}
	}
}
