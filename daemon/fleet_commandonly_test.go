package daemon

import (
	"io"
	"strings"
	"testing"
)

// TestCommandOnlyCapsHubsToo: --command-only keeps every peer to operate
// (REFERENCE §5.2), but a host run with it and --fleet-allow let its hubs
// declare services and destroy them. The two flags now stop cfkd.
func TestCommandOnlyCapsHubsToo(t *testing.T) {
	fleet := []string{"--home", t.TempDir(), "--fleet-listen", "127.0.0.2:7000", "--fleet-ca", "ca.pem", "--fleet-cert", "h.pem", "--fleet-key", "h.key"}
	for _, tc := range []struct {
		more []string
		err  string
	}{
		{[]string{"--command-only", "--fleet-allow", "declare,destroy"}, "cfkd: --fleet-allow declare,destroy and --command-only exclude each other"},
		{[]string{"--command-only", "--fleet-allow", "shutdown"}, "exclude each other"},
		{[]string{"--command-only", "--fleet-allow", ","}, "cfkd: --fleet-allow: empty word in ,"},
		{[]string{"--command-only", "--fleet-allow", ""}, ""},
		{[]string{"--command-only"}, ""},
		{[]string{"--fleet-allow", "destroy"}, ""},
	} {
		_, err := parseFlags(append(append([]string(nil), fleet...), tc.more...), io.Discard)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %v, want %q", tc.more, err, tc.err)
		}
	}
}
