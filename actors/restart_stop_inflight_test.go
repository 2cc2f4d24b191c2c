package actors

import (
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// stopHold is an EventLogger that holds the actor of one service in its
// record "Stopping service NAME", which it makes as it handles a stop,
// before it tells the controller it is stopping (the Publish after the
// Log, lifecycle's beginStop): the controller has sent the stop and not
// heard of it yet, for as long as the test wants. in is closed once the
// actor is held; free lets it go on (at most once; also at the test's
// end, before the tree stops).
type stopHold struct {
	msg       string
	in, freed chan struct{}
	once      sync.Once
	freeOnce  sync.Once
}

func newStopHold(t *testing.T, name string) *stopHold {
	h := &stopHold{msg: "Stopping service " + name, in: make(chan struct{}), freed: make(chan struct{})}
	t.Cleanup(h.free)
	return h
}

func (h *stopHold) Event(_ logrus.Level, _ logrus.Fields, msg string) {
	if msg != h.msg {
		return
	}
	h.once.Do(func() {
		close(h.in)
		<-h.freed
	})
}

func (h *stopHold) free() { h.freeOnce.Do(func() { close(h.freed) }) }

// held waits for the actor to be held.
func (h *stopHold) held(t *testing.T) {
	t.Helper()
	select {
	case <-h.in:
	case <-time.After(deadline):
		t.Fatalf("%q not reached after %v", h.msg, deadline)
	}
}

// A restart of db that reaches the controller after it sent app (which
// requires db) another request's stop, and before app's update saying it
// is stopping (a window of one message: app's actor is held in its stop
// here), does not take app along: the controller knows the stop it sent
// and has no answer to, as it knows one it planned and has not sent
// (REFERENCE §2.8). The stop is the operator's `stop service app`, or
// the down of app that a `stop service cache` (app requires cache too)
// sends first. app was taken along, its restart sent once db ran again,
// and app started again after the stop: running, against the stop.
func TestRestartLeavesADependentWhoseStopIsSent(t *testing.T) {
	t.Parallel()
	for _, stopLine := range []string{"command stop service app", "command stop service cache"} {
		t.Run(stopLine, func(t *testing.T) {
			t.Parallel()
			hold := newStopHold(t, "app")
			r := newRig(t, func(o *Options) {
				o.Log = logrus.New()
				o.Log.SetOutput(io.Discard)
				o.Log.SetLevel(logrus.InfoLevel) // the service's info records reach Events
				o.Events = hold
			})
			r.declare([]string{"app", "cache", "db"}, "app requires=cache,db")
			r.okDone("command start service app", 1)
			r.expectSeq("db", starting, running)
			r.expectSeq("app", starting, running)
			app, db := r.launchesOf("app")[0].Pid, r.launchesOf("db")[0].Pid

			stop := r.async(stopLine)
			hold.held(t) // the stop is at app; the controller has not heard app is stopping
			restart := r.async("command restart service db")
			r.fake.waitSignal(t, db, syscall.SIGTERM) // the restart is planned and asked
			hold.free()
			r.fake.waitSignal(t, app, syscall.SIGTERM)
			r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
			r.expectSeq("app", stopping, stopped)
			if rep := r.reply("stop", stop); rep.Err != nil {
				t.Fatalf("%s: %v %q", stopLine, rep.Err, rep.Lines)
			}
			r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
			r.expectSeq("db", stopping, stopped, starting, running)
			if rep := r.reply("restart db", restart); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
				t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
			}
			r.expectNone("app", starting, window)
			if n := len(r.launchesOf("app")); n != 1 {
				t.Fatalf("app launched %d times, want once (a stop took it down)", n)
			}
			r.setAutoTerm()
		})
	}
}

// The window is wider while app finishes a restart's check (REFERENCE
// §2.7): a stop sent to app meanwhile waits in app for the check's end,
// unanswered, and app shows running. A restart of db then does not take
// app along either. It was: once the check ended, the stop stopped app
// and cancelled app's own restart, and the restart db took along
// started it again.
func TestRestartLeavesADependentWhoseStopWaitsForACheck(t *testing.T) {
	t.Parallel()
	release, inLookup := make(chan struct{}), make(chan struct{}, 1)
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "slow" {
				select {
				case inLookup <- struct{}{}:
				default:
				}
				<-release
			}
			return nil, nil
		}
	})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the tree stops
	r.setAutoTerm()
	r.declare([]string{"app", "db"}, "app requires=db")
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	db := r.launchesOf("db")[0].Pid
	r.ok("service app user=slow")
	first := r.async("command restart service app")
	select {
	case <-inLookup:
	case <-time.After(deadline):
		t.Fatal("the restart's check never looked the user up")
	}
	// one sender: the controller sends app the stop before it plans the restart of db
	replies := r.asyncInOrder("command stop service app", "command restart service db")
	r.fake.waitSignal(t, db, syscall.SIGTERM) // the restart of db is planned and asked
	r.expectSeq("db", stopping, stopped, starting, running)
	free()
	r.reply("restart app", first) // cancelled by the stop, or done: either way app goes down
	if rep := r.reply("stop app", replies[0]); rep.Err != nil {
		t.Fatalf("stop app: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("restart db", replies[1]); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
	}
	r.expectSeq("app", stopping, stopped)
	r.expectNone("app", starting, window)
	if n := len(r.launchesOf("app")); n != 1 {
		t.Fatalf("app launched %d times, want once (a stop took it down)", n)
	}
}
