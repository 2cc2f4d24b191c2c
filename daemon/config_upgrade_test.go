package daemon

import (
	"os"
	"strings"
	"testing"
)

// A -c file with `command upgrade` is refused whole, nothing run, as one
// with `command shutdown` (REFERENCE §7.4). Before, the line ran: the
// upgrade waited 10 s for cfkd to serve, which waited for the file, then
// failed `upgrade: cfkd is still starting`; a SIGTERM in those 10 s was
// refused for the upgrade, and cfkd stayed for ever, its console closed.
func TestConfigUpgradeRefused(t *testing.T) {
	ran := ranFile(t)
	r := runConfig(t, "service a cmd=touch "+ran+"\ncommand start all\ncommand upgrade\n", nil)
	want := r.conf + ":3: command upgrade is refused in a config file (-c)"
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("Run: %v, want %q", r.err, want)
	}
	notRan(t, ran)
	if _, serr := os.Stat(r.sock); !os.IsNotExist(serr) {
		t.Errorf("the console socket is left: %v", serr)
	}
}
