package actors

import (
	"strings"
	"syscall"
	"testing"
)

// TestApplyCutByShutdown: an apply whose rolling restart a shutdown cuts
// short ends its reply with a line that says so, and how much was done
// (REFERENCE §1.4): its failures alone ('s: Service 's' is being shut
// down') did not say that the apply as a whole was cut, nor what of it
// was done.
func TestApplyCutByShutdown(t *testing.T) {
	t.Parallel()
	r, first := stalledRoll(t)
	ch := r.asyncInOrder("command shutdown", "command version") // the version answered: the shutdown began
	r.reply("version", ch[1])
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	rep := r.reply("apply", first)
	want := ApplyCutByShutdown + "its declarations were made, and 0 of the 1 services it destroys or restarts were done before it, " +
		"the others listed above (cfkd keeps no declaration once it exits)"
	if rep.Err != nil || len(rep.Lines) != 3 || rep.Lines[0] != "~ s: cmd" || !strings.HasPrefix(rep.Lines[1], "s: ") || rep.Lines[2] != want {
		t.Fatalf("an apply cut by the shutdown: %v\n%s", rep.Err, strings.Join(rep.Lines, "\n"))
	}
	r.reply("shutdown", ch[0])
}
