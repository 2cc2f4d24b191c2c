package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestRollingRestartUnderSilentProxyIsAnswered: a proxy that never
// answers a start (hung) left the service `starting` with no pid and no
// timer for good, and a rolling restart waiting for it to run was never
// answered. Now the proxy has startwait and stopwait (5 s at least) to
// report the pid; then the service is considered down (`proxy did not
// report the pid`) and the rolling restart gets that error.
func TestRollingRestartUnderSilentProxyIsAnswered(t *testing.T) {
	t.Parallel()
	// killwait (stopwait, at least 5 s) shortened to 0.5 s
	r, p, _ := proxiedStartingWith(t, "0.05", func(o *Options) { o.killWaitMin = 500 * time.Millisecond })
	r.startProxied(p, "s", 101)         // startwait 20 ms
	rep := make(chan messages.Reply, 1) // answered after startwait and killwait
	go func() { rep <- r.tree.Exec("command rollingrestart service s", 20*time.Second) }()
	p.command() // stop
	p.stopped("s", 101, killedBy(15))
	p.command() // start: never answered
	r.expectSeq("s", stopping, stopped, starting)
	select {
	case got := <-rep:
		if got.Err == nil || !strings.Contains(got.Err.Error(), "proxy did not report the pid") {
			t.Fatalf("rollingrestart answered %v %q, want the error that the proxy did not report the pid", got.Err, got.Lines)
		}
	case <-time.After(15 * time.Second):
		st := r.status("s")
		t.Fatalf("rollingrestart not answered after 15 s (startwait 20 ms, then killwait 0.5 s); s is %q with pid %q", st[1], st[2])
	}
}
