package actors

import (
	"strconv"
	"testing"
	"time"
)

// A restart (an apply's, or an operator's after a change of declaration)
// whose start the new declaration refuses (a socket not bound, no cmd)
// stopped the running process first, then failed to start: an edit made
// an outage. It is refused before the stop now, the process kept.
func TestRestartRefusedByTheDeclarationKeepsTheProcess(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.ok("service s tie_stdin_to=web") // a socket nobody declared
	r.fails("command restart service s", "Service 's' cannot start: socket 'web' is not declared")
	r.ok("service s cmd=") // no command at all
	r.fails("command restart service s", "Service 's' has no known command")
	r.expectQuiet("s", 50*time.Millisecond)
	if st := r.status("s"); st[1] != "running" || st[2] != strconv.Itoa(pid) {
		t.Fatalf("status %q, want s still running as pid %d", st, pid)
	}
	if sigs := r.fake.signalsTo(pid); len(sigs) != 0 {
		t.Fatalf("the running process got %v for a restart its declaration refused", sigs)
	}
}
