package actors

import (
	"slices"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §1.4 (restart): a running service moved under an auto proxy
// that does not run, and whose launch would fail (its program not
// found), was stopped by its restart, then the proxy could not run: it
// ended `fail` (`Proxy 'bad' can't run: ...`) while the restart, and the
// apply, answered OK. The proxy's launch is checked with the service's,
// off the actor, before the stop: the restart is refused, its process
// kept; a proxy that can run is launched by the restart as before.
func TestRestartUnderAProxyThatCannotRunKeepsTheProcess(t *testing.T) {
	t.Parallel()
	const prog = "/nonexistent/prog"
	r := newRig(t, func(o *Options) {
		o.Launcher = checkingFake{fakeLauncher: o.Launcher.(*fakeLauncher), missing: prog}
	})
	r.setAutoTerm()
	proxies := r.playProxies()
	pid := r.startRunning("s")
	const refused = "Service 's' cannot start: proxy 'bad': exec " + prog + ": executable file not found in PATH"
	r.ok("proxy bad cmd="+prog, "proxy bad service s cmd=sleep 100")
	r.fails("command restart service s", refused)
	r.fails("command rollingrestart service s", refused)
	file := "proxy bad cmd=" + prog + "\nproxy bad service s cmd=sleep 100\nproxy bad service s startwait_secs=0.02\n"
	for _, opts := range []string{"", "rolling"} {
		want := []string{"~ s: (running a former declaration)", "s: " + refused}
		if got := r.ok(applyReq(opts, file)); !slices.Equal(got, want) {
			t.Fatalf("apply %s: %q, want %q", opts, got, want)
		}
	}
	if sigs := r.fake.signalsTo(pid); len(sigs) > 0 || !r.fake.alive(pid) {
		t.Fatalf("its process got %v, alive %v", sigs, r.fake.alive(pid))
	}
	if st := r.status("s"); st[1] != "running" || st[2] == "" || st[5] != "bad!" {
		t.Fatalf("status %q", st)
	}
	// the proxy fixed, the restart stops the process and runs the proxy
	r.ok("proxy bad cmd=good-proxy")
	ch := r.async("command restart service s")
	p := nextProxy(t, proxies)
	if p.spec.Argv[0] != "good-proxy" {
		t.Fatalf("proxy launched as %q", p.spec.Argv)
	}
	if sigs := r.fake.signalsTo(pid); len(sigs) == 0 || sigs[0] != syscall.SIGTERM {
		t.Fatalf("a restart that may start: the process got %v, want SIGTERM", sigs)
	}
	if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"s"`) {
		t.Fatalf("command %q", got)
	}
	p.started("s", pid+1000)
	if rep := r.reply("restart", ch); rep.Err != nil {
		t.Fatalf("restart: %v", rep.Err)
	}
	r.expectSeq("s", stopping, stopped, starting)
}
