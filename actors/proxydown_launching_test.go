package actors

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A `proxydown p` while a service under p is `starting` in its launch
// (its env_file read, held here), before its start reached p: the
// proxydown stops the services up under p and cancels the starts planned
// and not asked, "none runs the proxy again" (REFERENCE §4.5); this start
// was asked before the proxydown, yet once its env_file is read it goes
// to p, down by then, which ran p again, app running under it. The
// proxydown cancels that launch: app ends stopped, its start answered
// why, and p does not run again.
func TestProxydownLeavesNoLaunchUnderWayToRunTheProxyAgain(t *testing.T) {
	t.Parallel()
	env := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(env, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var hold atomic.Bool
	asked, release := make(chan struct{}, 4), make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free)
	r := newRig(t, func(o *Options) {
		o.readEnvFile = func(name, cwd string, uid int) ([]messages.EnvVar, error) {
			if hold.Load() {
				asked <- struct{}{}
				<-release
			}
			return readEnvFile(name, cwd, uid)
		}
	})
	proxies := r.playProxies()
	r.declareProxied(nil, "app2", "app")
	r.ok("service app env_file=" + env)
	p := r.startFirstProxied(proxies, "app2", 701)

	hold.Store(true)
	started := r.async("command start service app")
	select {
	case <-asked: // app's launch reads its env_file
	case <-time.After(deadline):
		t.Fatal("app's launch did not read its env_file")
	}
	down := r.async("command proxydown p")
	proxydownStops(t, r, p, "app2", 701, down)
	hold.Store(false)
	free()
	// the proxydown cancelled app's launch: nothing ran, not a failure
	// (`launch cancelled`), its start answered why
	want := "Service 'app' was not started: proxy 'p' was shut down"
	if rep := r.reply("start app", started); rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start app: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	r.wait("app stopped", func() bool { return r.status("app")[1] == "stopped" })
	r.setAutoTerm()
	select {
	case q := <-proxies:
		q.close()
		t.Fatalf("p ran again after the proxydown (pid %d), for app's start asked before it", q.pid)
	case <-time.After(window):
	}
}
