package actors

import (
	"slices"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// waitingFor is the waiting_for of service name's inspect line.
func (r *rig) waitingFor(name string) []string {
	r.t.Helper()
	got := r.ok("command inspect service " + name)
	if len(got) != 1 {
		r.t.Fatalf("inspect %s: %q", name, got)
	}
	i, err := messages.ParseServiceInfo(got[0])
	if err != nil {
		r.t.Fatalf("inspect %s: %v", name, err)
	}
	return i.WaitingFor
}

// A start of web held back by what it requires (db never gets to run)
// leaves web and app `stopped`, as they were: inspect says each waits,
// and for what, so a user can tell a start waiting from none asked
// (REFERENCE §1.6, §2.8); once a stop cancels it, nothing waits.
func TestRequiresWaitShownByInspect(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "web", "lone"}, "app requires=db", "web requires=app", "db startwait_secs=60")
	ch := r.async("command start service web")
	r.expectSeq("db", starting)
	r.noReply("start web", ch, window)
	if got := r.waitingFor("web"); !slices.Equal(got, []string{"app"}) {
		t.Fatalf("web waiting_for %q, want [app]", got)
	}
	if got := r.waitingFor("app"); !slices.Equal(got, []string{"db"}) {
		t.Fatalf("app waiting_for %q, want [db]", got)
	}
	for _, n := range []string{"db", "lone"} {
		if got := r.waitingFor(n); got != nil {
			t.Fatalf("%s waiting_for %q, want none", n, got)
		}
	}
	r.okDone("command stop service db", 1)
	if rep := r.reply("start web", ch); rep.Err == nil {
		t.Fatalf("start web answered %q after the stop of db", rep.Lines)
	}
	r.expectSeq("db", stopping, stopped)
	for _, n := range []string{"app", "web"} {
		if got := r.waitingFor(n); got != nil {
			t.Fatalf("%s waiting_for %q after the stop, want none", n, got)
		}
	}
}

// A stop of db waits for app, which requires it, to be down: meanwhile db
// runs on, and inspect says what its stop waits for (REFERENCE §2.8).
func TestRequiresStopWaitShownByInspect(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	app, db := r.runAppOnDB()

	stop := r.async("command stop service db")
	r.fake.waitSignal(t, app, syscall.SIGTERM) // app ignores it for now
	if got := r.waitingFor("db"); !slices.Equal(got, []string{"app"}) {
		t.Fatalf("db waiting_for %q while app is stopping, want [app]", got)
	}
	if got := r.waitingFor("app"); got != nil {
		t.Fatalf("app waiting_for %q, want none", got)
	}
	r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
	r.fake.waitSignal(t, db, syscall.SIGTERM)
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	if rep := r.reply("stop db", stop); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 1"}) {
		t.Fatalf("stop db: %v %q", rep.Err, rep.Lines)
	}
	if got := r.waitingFor("db"); got != nil {
		t.Fatalf("db waiting_for %q once stopped, want none", got)
	}
}
