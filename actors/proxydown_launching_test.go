package actors

import (
	"syscall"
	"testing"
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
	env := newEnvFileHold(t, "app.env")
	r := newRig(t, env.option)
	proxies := r.playProxies()
	r.declareProxied(nil, "app2", "app")
	r.ok("service app env_file=" + env.path)
	p := r.startFirstProxied(proxies, "app2", 701)

	env.hold()
	started := r.async("command start service app")
	env.waitRead(t, "app's launch")
	down := r.async("command proxydown p")
	proxydownStops(t, r, p, "app2", 701, down)
	env.free()
	// the proxydown cancelled app's launch: nothing ran, not a failure
	// (`launch cancelled`), its start answered why
	want := "Service 'app' was not started: proxy 'p' was shut down"
	if rep := r.reply("start app", started); rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start app: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	// polled: a launch cancelled of a service down publishes no
	// transition, which r.wait would need to look again
	waitFor(t, "app stopped", func() bool { return r.status("app")[1] == "stopped" })
	r.setAutoTerm()
	noProxy(t, proxies, window) // p not run again for app's start, asked before the proxydown
}

// A `start app` that comes after a `proxydown p` (one sender: the
// controller takes the proxydown first), app declared under p with an
// env_file: its launch reads the file, then asks p, still stopping, for
// the start. The proxydown's message reached app before the start, and
// app answered it before its launch asked p (proxyDownCancelDone, then
// the start, from one sender): the start is not taken for one launched
// before the proxydown, but waits for p's end and runs p again
// (REFERENCE §4.5).
func TestStartAfterProxydownRunsTheProxyAgain(t *testing.T) {
	t.Parallel()
	env := newEnvFileHold(t, "app.env") // never held
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "app2", "app")
	r.ok("service app env_file=" + env.path)
	p := r.startFirstProxied(proxies, "app2", 701)
	r.fails("command stop service app", "Service 'app' is already down") // its actor is spawned: the proxydown tells it

	replies := r.asyncInOrder("command proxydown p", "command start service app")
	r.expectSeq("app2", stopping)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	r.expectSeq("app", starting) // launched, its start waits for p's end
	p.stopped("app2", 701, killedBy(syscall.SIGTERM))
	r.expectSeq("app2", stopped)
	p.close()
	r.fake.exit(t, p.pid, 0)
	if rep := r.reply("proxydown p", replies[0]); rep.Err != nil || len(rep.Lines) != 0 {
		t.Fatalf("proxydown p: %v %q, want OK", rep.Err, rep.Lines)
	}
	q := nextProxy(t, proxies)
	r.startProxied(q, "app", 702)
	if rep := r.reply("start app", replies[1]); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("start app: %v %q, want done 1", rep.Err, rep.Lines)
	}
	r.setAutoTerm()
}
