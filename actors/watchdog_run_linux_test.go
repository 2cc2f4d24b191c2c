package actors

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
)

// TestWatchdogIsTheRuns: a run's watchdog period is the one it was told
// (WATCHDOG_USEC); a watchdog_secs declared or changed while it runs
// applies from the next launch (REFERENCE §1.1, §2.9). Before, `service w
// watchdog_secs=1` on a running w that was launched without a watchdog,
// or told 10 s, had it SIGABRTed one second after its next WATCHDOG=1.
func TestWatchdogIsTheRuns(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.NotifySocket = filepath.Join(t.TempDir(), "notify.sock") })
	specs := make(chan osproc.Spec, 8)
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) { specs <- spec }
	r.fake.mu.Unlock()
	send := func(pid int, fields map[string]string) {
		r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Fields: fields}})
	}
	run := func(name string) int {
		r.okDone("command start service "+name, 1)
		pid := r.expectSeq(name, starting)[0].Pid
		send(pid, map[string]string{"READY": "1"})
		r.expectSeq(name, running)
		return pid
	}
	usec := func(what string) string {
		select {
		case spec := <-specs:
			i := slices.IndexFunc(spec.Env, func(kv string) bool { return len(kv) > 14 && kv[:14] == "WATCHDOG_USEC=" })
			if i < 0 {
				return ""
			}
			return spec.Env[i]
		case <-time.After(deadline):
			t.Fatalf("%s: no launch", what)
			return ""
		}
	}
	r.ok("service w1 cmd=sleep 100", "service w1 ready=notify", "service w1 startwait_secs=0.02",
		"service w2 cmd=sleep 100", "service w2 ready=notify", "service w2 startwait_secs=0.02", "service w2 watchdog_secs=10")
	p1 := run("w1")
	if got := usec("w1"); got != "" {
		t.Fatalf("w1 launched without a watchdog was told %s", got)
	}
	p2 := run("w2")
	if got := usec("w2"); got != "WATCHDOG_USEC=10000000" {
		t.Fatalf("w2 told %q", got)
	}
	r.ok("service w1 watchdog_secs=0.05", "service w2 watchdog_secs=0.05")
	for range 3 { // each ping re-arms the run's watchdog
		send(p1, map[string]string{"WATCHDOG": "1"})
		send(p2, map[string]string{"WATCHDOG": "1"})
	}
	// the runs' periods (none, 10 s) hold: not ended after 0.05 s
	r.expectNone("w1", messages.Stopping, 400*time.Millisecond)
	r.expectNone("w2", messages.Stopping, 10*time.Millisecond)

	// the next run is told the new period, and held to it
	r.setAutoTerm()
	r.okDone("command restart service w2", 1)
	r.expectSeq("w2", stopping, stopped, starting)
	if got := usec("w2 again"); got != "WATCHDOG_USEC=50000" {
		t.Fatalf("w2's next run told %q", got)
	}
	pid := r.launchesOf("w2")[1].Pid
	send(pid, map[string]string{"READY": "1"})
	r.expectSeq("w2", running, stopping)
	r.okDone("command stop service w1", 1)
}

// TestWatchdogOfTheRunCrossesAnUpgrade: the new cfkd of an upgrade in
// place holds an adopted run to the period it was told, not to a
// watchdog_secs declared since (REFERENCE §2.9, §13).
func TestWatchdogOfTheRunCrossesAnUpgrade(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	old := newRig(t, func(o *Options) { o.NotifySocket = sock })
	old.ok("service w cmd=sleep 100", "service w ready=notify", "service w startwait_secs=0.02")
	old.okDone("command start service w", 1)
	pid := old.expectSeq("w", starting)[0].Pid
	old.tree.System.Root.Send(old.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Fields: map[string]string{"READY": "1"}}})
	old.expectSeq("w", running)
	old.ok("service w watchdog_secs=0.05")
	ex := old.export(true)
	if len(ex.Services) != 1 || ex.Services[0].RunWatchdog == nil || *ex.Services[0].RunWatchdog != 0 {
		t.Fatalf("exported run watchdog: %+v", ex.Services)
	}

	nw := newRig(t, func(o *Options) {
		o.NotifySocket = sock
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
	})
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	nw.tree.System.Root.Send(nw.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Fields: map[string]string{"WATCHDOG": "1"}}})
	nw.expectNone("w", messages.Stopping, 400*time.Millisecond)
}
