package actors

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestManagersVarsNotPassed: the variables cfkd's own manager gave it to
// talk back (systemd's NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, when
// cfkd runs as a notify unit or in a container started with sd_notify
// support) are not a service's: one without ready=notify has no
// NOTIFY_SOCKET (its sd_notify would reach cfkd's manager), one with it
// has cfkd's socket and its own watchdog, and no WATCHDOG_PID of cfkd's,
// which would make sd_watchdog_enabled() say no (REFERENCE §2.4, §2.9).
func TestManagersVarsNotPassed(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) {
		o.NotifySocket = sock
		o.Env = []string{"PATH=/usr/bin:/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=30000000", "WATCHDOG_PID=1", "KEEP=1"}
	})
	r.startRunning("plain")
	env := r.fake.waitLaunch(t, 1).Spec.Env
	for _, k := range []string{"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID="} {
		if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k) }) {
			t.Errorf("plain: cfkd's %s... passed on: %q", k, env)
		}
	}
	if !slices.Contains(env, "KEEP=1") {
		t.Errorf("plain: cfkd's environment not passed: %q", env)
	}
	r.ok("service n cmd=sleep 100", "service n ready=notify", "service n watchdog_secs=1.5")
	start := r.async("command start service n")
	env = r.fake.waitLaunch(t, 2).Spec.Env
	if !slices.Contains(env, "NOTIFY_SOCKET="+sock) || !slices.Contains(env, "WATCHDOG_USEC=1500000") ||
		slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "WATCHDOG_PID=") }) {
		t.Errorf("n: want cfkd's NOTIFY_SOCKET, WATCHDOG_USEC=1500000 and no WATCHDOG_PID: %q", env)
	}
	r.reply("start", start)
	r.shutdownClean()
}

// TestOuterRunIDNotPassed: a cfkd run as a service of another cfkd has
// that one's CFK_RUN_ID in its environment. A direct service gets its own
// run's in its place, but a proxy and the services it runs (REFERENCE
// §2.4: none under a proxy) got the outer run's, which names no run of
// theirs: cfk-proxy sets CONTROL_FREAK_SERVICE to the service's name, so
// the pair named run X of a service that run X never was.
func TestOuterRunIDNotPassed(t *testing.T) {
	t.Parallel()
	const outer = "CFK_RUN_ID=0123456789abcdef"
	r := newRig(t, func(o *Options) {
		o.Env = []string{"PATH=/usr/bin:/bin", outer, "KEEP=1"}
	})
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s1")
	p := r.startFirstProxied(proxies, "s1", 4242)
	if slices.ContainsFunc(p.spec.Env, func(kv string) bool { return strings.HasPrefix(kv, "CFK_RUN_ID=") }) {
		t.Errorf("proxy: cfkd's own CFK_RUN_ID passed on: %q", p.spec.Env)
	}
	if !slices.Contains(p.spec.Env, "KEEP=1") {
		t.Errorf("proxy: cfkd's environment not passed: %q", p.spec.Env)
	}
	r.okDone("command stop service s1", 1)
	if got := p.command(); got != `{"command":"stop","name":"s1"}` {
		t.Fatalf("stop command %q", got)
	}
	p.stopped("s1", 4242, exitCode(0))
	r.expectSeq("s1", stopping, stopped)
	p.eof()
	r.ok("service d cmd=sleep 100", "service d startwait_secs=0.02")
	r.okDone("command start service d", 1)
	r.expectSeq("d", starting, running)
	var env []string
	for _, l := range r.fake.allLaunches() {
		if hasEnv(l.Spec.Env, "CONTROL_FREAK_SERVICE=d") {
			env = l.Spec.Env
		}
	}
	if env == nil || slices.Contains(env, outer) || !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "CFK_RUN_ID=") }) {
		t.Errorf("d: want a CFK_RUN_ID of its own run: %q", env)
	}
	r.shutdownClean()
}
