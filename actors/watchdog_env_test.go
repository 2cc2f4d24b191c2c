package actors

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// A service with ready=notify and watchdog_secs is told the watchdog's
// period as systemd tells it, WATCHDOG_USEC: sd_watchdog_enabled() (libsystemd,
// go-systemd) reads it, and without it such a service never pings and is
// killed as a crash at each period (REFERENCE §2.9).
func TestWatchdogUsecInTheEnvironment(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.NotifySocket = filepath.Join(t.TempDir(), "notify.sock") })
	r.ok("service s cmd=sleep 100", "service s ready=notify", "service s watchdog_secs=1.5")
	specs := make(chan osproc.Spec, 1)
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) { specs <- spec }
	r.fake.mu.Unlock()
	start := r.async("command start service s")
	select {
	case spec := <-specs:
		if !slices.Contains(spec.Env, "WATCHDOG_USEC=1500000") {
			t.Errorf("environment %q lacks WATCHDOG_USEC=1500000", spec.Env)
		}
	case <-time.After(deadline):
		t.Fatal("no launch")
	}
	r.reply("start", start)
}

// watchdog_secs without ready=notify is none: such a service has no
// notify socket to ping on, and was SIGABRTed at each period, for ever.
func TestWatchdogWithoutNotifyIsNone(t *testing.T) {
	t.Parallel()
	c := messages.ServiceConfig{Name: "s", Watchdog: time.Second}
	if p := lifecycle.PolicyOf(c, time.Second, time.Second); p.Watchdog != 0 {
		t.Fatalf("watchdog_secs without ready: policy's watchdog %v, want none", p.Watchdog)
	}
	c.Ready = "tcp:127.0.0.1:1"
	if p := lifecycle.PolicyOf(c, time.Second, time.Second); p.Watchdog != 0 {
		t.Fatalf("watchdog_secs with ready=tcp: policy's watchdog %v, want none", p.Watchdog)
	}
	c.Ready = "notify"
	if p := lifecycle.PolicyOf(c, time.Second, time.Second); p.Watchdog != time.Second {
		t.Fatalf("watchdog_secs with ready=notify: policy's watchdog %v", p.Watchdog)
	}
}
