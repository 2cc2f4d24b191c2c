package actors

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// TestStopOfAHeldStartIsAnsweredStopped: a start that comes while its
// proxy stops is held for the proxy's next run; a stop of that service
// meanwhile drops it, and the service, which never ran, is stopped at
// once (REFERENCE §4.5): the stop was answered while it still showed
// stopping, stopped only once the proxy actor had dropped the start.
func TestStopOfAHeldStartIsAnsweredStopped(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.ProxyGrace = 20 * time.Second })
	p, _ := r.proxyLeftStopping()
	t.Cleanup(func() { r.fake.exitStatus(p.pid, killedBy(syscall.SIGKILL)) })
	for i := range 3 { // held each time, stopped each time
		r.okDone("command start service s2", 1)
		if st := r.status("s2"); st[1] != "starting" {
			t.Fatalf("start %d: s2 %q, want starting (held)", i, st)
		}
		r.okDone("command stop service s2", 1)
		if st := r.status("s2"); st[1] != "stopped" {
			t.Fatalf("stop %d: answered with s2 %q, want stopped", i, st)
		}
	}
}

// TestStopOfAStartTakenBackIsAnsweredStopped: a stop of a service whose
// start line still waits in cfkd (past proxyStartWindow) takes it back,
// stopped at once (REFERENCE §4.5), and is answered so; one whose line
// the proxy was sent is answered stopping, its stop line written.
func TestStopOfAStartTakenBackIsAnsweredStopped(t *testing.T) {
	t.Parallel()
	r, p, written := proxyWindowRig(t, proxyStartWindow+2)
	var held string
	for i := range proxyStartWindow + 2 {
		if name := fmt.Sprintf("s%d", i); !slices.Contains(written, name) {
			held = name
		}
	}
	r.okDone("command stop service "+held, 1)
	if st := r.status(held); st[1] != "stopped" {
		t.Fatalf("stop of %s, held in cfkd: answered with %q, want stopped", held, st)
	}
	r.okDone("command stop service "+written[0], 1)
	if st := r.status(written[0]); st[1] != "stopping" {
		t.Fatalf("stop of %s, written: answered with %q, want stopping", written[0], st)
	}
	if got := stopName(t, p.command()); got != written[0] {
		t.Fatalf("stop line of %s, want %s", got, written[0])
	}
}
