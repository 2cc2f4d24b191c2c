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
