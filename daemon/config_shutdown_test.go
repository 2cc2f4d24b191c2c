package daemon

import (
	"os"
	"strings"
	"testing"
)

// A -c file with `command shutdown` is refused at that line, as a line
// that fails (REFERENCE §7.4): cfkd exits 1 saying why, and `cfkd -d`'s
// parent says it and exits 1. Before, the shutdown ran: cfkd said it had
// started (-d: `cfkd running in the background`, exit 0), then exited 0,
// every service the file started stopped with it.
func TestConfigShutdownRefused(t *testing.T) {
	r := runConfig(t, "service a cmd=sleep 100\n# the end\ncommand shutdown\n", nil)
	want := r.conf + ":3: command shutdown is refused in a config file (-c)"
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("Run: %v, want %q", r.err, want)
	}
	if _, serr := os.Stat(r.sock); !os.IsNotExist(serr) {
		t.Errorf("the console socket is left: %v", serr)
	}
}
