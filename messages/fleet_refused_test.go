package messages

import "testing"

// The words before a fleet request's verb that it refuses, each with an
// error that names the word (REFERENCE §12.3): nothing is merged or
// dropped silently.
func TestParseFleetRefused(t *testing.T) {
	for _, tc := range []struct{ line, err string }{
		{"command fleet hosts=a hosts=b status", ErrFleetHostsTwice.Error()},
		{"command fleet hosts=a rolling-hosts hosts=b restart all", ErrFleetHostsTwice.Error()},
		{"command fleet rolling-hosts rolling-hosts restart all", ErrFleetRollingTwice.Error()},
		{"command fleet rolling-hosts hosts=a rolling-hosts restart all", ErrFleetRollingTwice.Error()},
		{"command fleet hosts=a,,b status", "fleet: empty host name in hosts=a,,b (host names and @tags, comma separated)"},
		{"command fleet hosts=a, status", "fleet: empty host name in hosts=a, (host names and @tags, comma separated)"},
		{"command fleet hosts=,a status", "fleet: empty host name in hosts=,a (host names and @tags, comma separated)"},
		{"command fleet rolling-hosts rollingrestart tag web", ErrFleetRollingRestart.Error()},
		{"command fleet Hosts=a status", "unknown command 'Hosts=a'"},
		{"command fleet rolling-hosts=1 restart all", "unknown command 'rolling-hosts=1'"},
		{"command fleet resart tag web", "unknown command 'resart'"},
		{"command fleet hosts=, status", "fleet: empty host name in hosts=, (host names and @tags, comma separated)"},
	} {
		if _, err := Parse(tc.line); err == nil || err.Error() != tc.err {
			t.Errorf("%q: error %v, want %q", tc.line, err, tc.err)
		}
	}
}
