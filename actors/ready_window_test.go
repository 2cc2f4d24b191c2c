package actors

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// ready=notify declared while the launch of a run without ready= is on
// its way (the spec, without NOTIFY_SOCKET, is built; the fork waits on
// launchPool): that run cannot say it is ready, so REFERENCE §2.9 has it
// become running at startwait; the table looked at the policy of the
// moment EvLaunched came instead, and waited for a READY=1 nobody could
// send. The launch's outcome now says how the run was launched.
func TestReadyDeclaredDuringForkWindow(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) { o.NotifySocket = sock })
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.02", "service s ready_timeout_secs=0.5",
		"service s respawn_on_fail=0")
	inLaunch, release := make(chan osproc.Spec, 1), make(chan struct{})
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		inLaunch <- spec
		<-release
	}
	r.fake.mu.Unlock()
	start := r.async("command start service s")
	var spec osproc.Spec
	select {
	case spec = <-inLaunch:
	case <-time.After(deadline):
		t.Fatal("no launch")
	}
	r.ok("service s ready=notify") // while the fork is in progress
	close(release)
	for _, e := range spec.Env {
		if strings.HasPrefix(e, "NOTIFY_SOCKET=") {
			t.Fatalf("the run was launched with %s", e)
		}
	}
	r.reply("start", start)
	// launched without NOTIFY_SOCKET: it can never say READY=1
	r.expectSeq("s", starting, running)
}
