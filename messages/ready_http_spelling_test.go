package messages

import "testing"

// httpSpelling writes a ready=http: URL in one spelling (REFERENCE
// §1.4): each of its cases here, as parseReady hands them to it. The
// URLs refused last are those it has guards for, which never reach it:
// a port that is not digits or is 0, a host in brackets that is no IPv6
// address, or with something after the ']' other than a port. Should
// url.Parse or parseReady take one of them, this fails before
// httpSpelling writes it wrong.
func TestReadyHTTPSpellingEachCase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ v, want string }{
		{"http://H.Example", "http://h.example"},                              // no path
		{"HTTPS://H.Example:0443/A?Q=B#F", "https://h.example:443/A?Q=B#F"},   // a port, a path, a query, a fragment
		{"http://H?x", "http://h?x"},                                          // a query first
		{"http://U:P@H:080/", "http://U:P@h:80/"},                             // a user
		{"http://H:/", "http://h:/"},                                          // an empty port
		{"http://H:65535/", "http://h:65535/"},                                // no leading zero
		{"http://[0:0::1]/", "http://[::1]/"},                                 // an IPv6 address, no port
		{"http://[0:0::1]:0080/", "http://[::1]:80/"},                         // and a port
		{"http://[0:0::1]:/", "http://[::1]:/"},                               // and an empty one
		{"http://[::FFFF:127.0.0.1]/", "http://[::ffff:127.0.0.1]/"},          // IPv4-mapped
		{"http://[FE80:0::1%25Eth0]:080/x", "http://[FE80:0::1%25Eth0]:80/x"}, // a zone: kept
		{"http://[fe80::1%25en%30]/", "http://[fe80::1%25en%30]/"},            // escaped in it
		{"http://H%C3%A9.Example/", "http://H%C3%A9.Example/"},                // a name escaped: kept
		{"http://127.000.0.1:08/", "http://127.000.0.1:8/"},                   // no IP address for netip: a name
		{"http://H]:80/", "http://h]:80/"},                                    // a ']' url.Parse takes in a name
		{"http://u@[::1]:1", "http://u@[::1]:1"},                              // all
		{"http://a:b@H:0001/p:q@r", "http://a:b@h:1/p:q@r"},                   // a ':' and an '@' in the path
		{"http://H:1/%7e", "http://h:1/%7e"},                                  // an escape in the path
		{"http://[0::1]:2?[0::2]:3", "http://[::1]:2?[0::2]:3"},               // an address in the query
		{"http://[2001:DB8::1]#[::2]", "http://[2001:db8::1]#[::2]"},          // and in the fragment
		{"http://[::1%25a:b]/", "http://[::1%25a:b]/"},                        // a ':' in the zone
		{"http://[::1%25a]b]:080/", "http://[::1%25a]b]:80/"},                 // a ']' in it
		{"http://[foo]/", ""},                                                 // no IPv6 address
		{"http://[127.0.0.1]/", ""},                                           // nor an IPv4 one
		{"http://[::1]x/", ""},                                                // after the ']'
		{"http://[::1/", ""},                                                  // no ']'
		{"http://h:+80/", ""},                                                 // a port of no digits
		{"http://h:8a/", ""},                                                  // in part
		{"http://h:0/", ""},                                                   // 0
		{"http://h:00/", ""},                                                  // written 00
		{"http://h:1:2/", ""},                                                 // two ports
	} {
		got, err := parseReady("ready", "http:"+tc.v)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("ready=http:%s: taken, as %q: want it refused", tc.v, got.Str)
		case tc.want != "" && err != nil:
			t.Errorf("ready=http:%s: %v", tc.v, err)
		case tc.want != "" && got.Str != "http:"+tc.want:
			t.Errorf("ready=http:%s is %q, want %q", tc.v, got.Str, "http:"+tc.want)
		}
	}
}
