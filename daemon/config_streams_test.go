package daemon

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A -c file with a line that never runs in a config file (a command that
// streams, `command fleet`) ran its lines up to it: the services its
// first lines started ran, then were stopped, and cfkd exited 1. Such a
// line is refused as `command shutdown` is, before anything runs, every
// one named (REFERENCE §7.4), as `command apply` refuses it (§1.4).
func TestConfigRefusesStreamsAndFleetBeforeRunning(t *testing.T) {
	ran := ranFile(t)
	r := runConfig(t, "service a cmd=touch "+ran+"\nservice a oneshot=1\ncommand start all\ncommand events\ncommand tail a 5 follow\ncommand fleet status\ncommand tail a 5\n", nil)
	want := strings.Join([]string{
		"cfkd: " + r.conf + ":4: 'events' streams: only on an admin connection",
		"cfkd: " + r.conf + ":5: 'tail' streams: only on an admin connection",
		"cfkd: " + r.conf + ":6: " + messages.ErrFleetOnlyAdmin.Error(),
	}, "\n")
	if r.err == nil || r.err.Error() != want {
		t.Fatalf("Run: %v\nwant:\n%s", r.err, want)
	}
	notRan(t, ran)
}
