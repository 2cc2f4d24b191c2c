package actors

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A pid a proxy reports while a restart's check is under way waits behind
// the check (lifecycle.Next defers it), and the export clears what is
// deferred. An upgrade's export meanwhile waits for the check (as for a
// launch's outcome): the report is applied first, here as a start the
// restart gave up, its process killed before the export is answered, so
// that it is not left to nobody: the new cfkd would not have it in the
// service's lifecycle (REFERENCE §4.5, §13.2).
func TestExportDuringACheckKillsADeferredGivenUpPid(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	inRead := make(chan struct{}, 1)
	r, p, _ := proxiedStartingWith(t, "5", func(o *Options) {
		o.readEnvFile = func(name, cwd string, uid int) ([]messages.EnvVar, error) {
			if name == "/slow.env" {
				inRead <- struct{}{}
				<-release
			}
			return nil, nil
		}
	})
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
	})
	p.command() // start 1
	r.ok("proxy p service s env_file=/slow.env")
	r.async("command restart service s")
	select {
	case <-inRead:
	case <-time.After(deadline):
		t.Fatal("the restart's check never read the env_file")
	}
	p.started("s", 301)     // deferred behind the check
	p.started("ghost", 999) // killed once the proxy has read 301's line
	r.fake.waitSignal(t, 999, syscall.SIGKILL)
	exported := make(chan Exported, 1)
	go func() {
		res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, deadline).Result()
		if err == nil {
			exported <- res.(Exported)
		}
		close(exported)
	}()
	select {
	case ex := <-exported:
		t.Fatalf("exported during the restart's check: %+v", ex)
	case <-time.After(window):
	}
	released = true
	close(release)
	ex, ok := <-exported
	if !ok || ex.Err != nil || len(ex.Services) != 1 {
		t.Fatalf("export after the check: %+v (ok %v)", ex, ok)
	}
	lc := ex.Services[0].Lifecycle
	killed := slices.Contains(r.fake.signalsTo(301), syscall.SIGKILL)
	if lc.Pid != 301 && !killed {
		t.Fatalf("pid 301, reported during the check, neither exported (%+v) nor killed (%v)", lc, r.fake.signalsTo(301))
	}
}
