package actors

import (
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// A service told to start whose launch waits (its user lookup off the
// actor, a fork slot under a mass start) shows `starting`, with no pid,
// in status, inspect and the status page's snapshot, from the start on,
// as the original's state did (REFERENCE §1.6): before, it showed
// `stopped` (or the `fail` it was started from, with its fail_reason)
// until the launch was done, and a script that started services and read
// their status took them for not started. The transitions published are
// unchanged: to starting once launched.
func TestLaunchUnderWayShowsStarting(t *testing.T) {
	t.Parallel()
	lookups := make(chan struct{}, 4)
	release := make(chan struct{}, 4) // a token lets one lookup answer
	forks := make(chan struct{}, 4)
	hold := make(chan struct{})
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			lookups <- struct{}{}
			<-release
			return &syscall.Credential{Uid: 1001, Gid: 1001}, nil
		}
	})
	r.setAutoTerm()
	defer close(release) // nothing waits on, whatever failed
	defer func() {
		select {
		case <-hold:
		default:
			close(hold)
		}
	}()
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		if spec.Credential == nil { // held's: its fork slot, held
			forks <- struct{}{}
			<-hold
		}
	}
	r.fake.mu.Unlock()
	r.ok("service slow cmd=sleep 100", "service slow user=alice", "service slow startwait_secs=0.02",
		"service slow respawn_on_fail=0",
		"service held cmd=sleep 100", "service held startwait_secs=0.02")

	shows := func(name string, want messages.State, failReason string) {
		t.Helper()
		f := r.status(name)
		if f[1] != want.String() || f[2] != "" || f[6] != failReason || f[7] != "" {
			t.Fatalf("status %s: %q, want %s without a pid (fail_reason %q)", name, f, want, failReason)
		}
		if want == messages.Starting && (f[3] == "" || f[4] != "") {
			t.Fatalf("status %s: %q, want a start_time and no stop_time", name, f)
		}
		if i := r.info("service " + name); len(i) != 1 || i[0].State != want || i[0].Pid != 0 {
			t.Fatalf("inspect %s: %+v", name, i)
		}
		if s := r.snapshot([]string{name}); len(s.Services) != 1 || s.Services[0].State != want {
			t.Fatalf("snapshot %s: %+v", name, s.Services)
		}
	}
	awaitOne := func(ch chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(deadline):
			t.Fatalf("no %s after %v", what, deadline)
		}
	}
	started := func(name string, start <-chan messages.Reply, from messages.State) int {
		t.Helper()
		if rep := r.reply("start "+name, start); rep.Err != nil {
			t.Fatalf("start %s: %v", name, rep.Err)
		}
		ev := r.expectSeq(name, messages.Starting, messages.Running)
		if ev[0].From != from {
			t.Fatalf("%s: %q, want from %s", name, transitions(ev), from)
		}
		return ev[0].Pid
	}

	// the user lookup
	shows("slow", messages.Stopped, "")
	start := r.async("command start service slow")
	awaitOne(lookups, "lookup")
	shows("slow", messages.Starting, "")
	release <- struct{}{}
	pid := started("slow", start, messages.Stopped)

	// from fail: its fail_reason goes with the state
	r.fake.exit(t, pid, exitCode(3))
	r.expectSeq("slow", messages.Fail)
	shows("slow", messages.Fail, "Exited with error 3")
	start = r.async("command start service slow")
	awaitOne(lookups, "lookup")
	shows("slow", messages.Starting, "")
	release <- struct{}{}
	started("slow", start, messages.Fail)

	// the fork slot
	start = r.async("command start service held")
	awaitOne(forks, "fork")
	shows("held", messages.Starting, "")
	close(hold)
	started("held", start, messages.Stopped)
}
