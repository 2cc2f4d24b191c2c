package actors

import (
	"github.com/cfk/cfk/messages"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// lookupGate is an Options.Credential that hangs (an LDAP server that does
// not answer) once armed, until freed.
type lookupGate struct {
	armed   atomic.Bool
	asked   chan struct{}
	release chan struct{}
	once    sync.Once
}

func newLookupGate() *lookupGate {
	return &lookupGate{asked: make(chan struct{}, 16), release: make(chan struct{})}
}

func (g *lookupGate) resolve(user, group string) (*syscall.Credential, error) {
	if g.armed.Load() {
		select {
		case g.asked <- struct{}{}:
		default:
		}
		<-g.release
	}
	return nil, nil
}

func (g *lookupGate) free() { g.once.Do(func() { close(g.release) }) }

func (g *lookupGate) waitAsked(t *testing.T) {
	t.Helper()
	select {
	case <-g.asked:
	case <-time.After(deadline):
		t.Fatal("no user lookup")
	}
}

// hungLookupRig is a rig whose user lookups hang from the first, until
// g.free (at the test's end at the latest).
func hungLookupRig(t *testing.T) (*rig, *lookupGate) {
	g := newLookupGate()
	g.armed.Store(true)
	t.Cleanup(g.free)
	return newRig(t, func(o *Options) { o.Credential = g.resolve }), g
}

// appInLookup: db runs; app, which requires db and runs as alice, is
// being started, its user lookup hung (the start's reply is start).
func appInLookup(t *testing.T) (r *rig, g *lookupGate, start <-chan messages.Reply) {
	g = newLookupGate()
	t.Cleanup(g.free)
	r = newRig(t, func(o *Options) { o.Credential = g.resolve })
	r.setAutoTerm()
	r.declare([]string{"app", "db"}, "app requires=db", "app user=alice")
	r.okDone("command start service db", 1)
	r.expectSeq("db", starting, running)
	g.armed.Store(true)
	start = r.async("command start service app")
	g.waitAsked(t)
	return r, g, start
}

// answeredWithin is the reply on ch, or fails the test (freeing g, so
// that the tree can end) once 3 s have passed: the request waits for a
// lookup that may never end.
func answeredWithin(t *testing.T, g *lookupGate, ch <-chan messages.Reply, why string) messages.Reply {
	t.Helper()
	select {
	case rep := <-ch:
		return rep
	case <-time.After(3 * time.Second):
		g.free()
		t.Fatal(why)
	}
	return messages.Reply{}
}

// respawnInLookup: s (tie_stdin_to=web, user=alice) runs, crashes, and
// its respawn (launched at once, unseen by the controller) hangs in its
// user lookup; t, a service that uses no socket, is kept busy so that an
// unbind's gather is answered late.
func respawnInLookup(t *testing.T) (*rig, *lookupGate) {
	g := newLookupGate()
	r := newRig(t, func(o *Options) { o.Credential = g.resolve })
	t.Cleanup(g.free)
	r.bindLoopback("web")
	pid := r.startRunning("s", "tie_stdin_to=web", "user=alice")
	r.startRunning("t")
	g.armed.Store(true)
	r.fake.exit(t, pid, killedBy(syscall.SIGKILL)) // a crash: launched again at once
	r.expectSeq("s", fail)
	g.waitAsked(t)
	return r, g
}

// e74a01d made a service refuse an unbind only for the socket it names.
// With two unbinds at once, s refuses the first (web: its respawn's
// launch uses it) and keeps its table, then takes the second's (other),
// which the controller made without web as well (c.files dropped web
// eagerly): s's table loses web although web's unbind is refused. Its
// respawn's lookup then ends, the spec is made from that table, and the
// respawn gives up, fatal, "socket 'web' is not bound", while web stays
// bound (its unbind undone). Before the commit s refused the second
// unbind too, keeping web, and its respawn ran.
func TestConcurrentUnbindLosesTheSocketOfALaunchInLookup(t *testing.T) {
	t.Parallel()
	r, g := respawnInLookup(t)
	r.bindLoopback("other") // used by nobody
	// t answers the unbinds late (an export's freeze stashes every message
	// until the thaw); the status answered, the controller has sent s
	// every table of the two unbinds, ahead of the lookup's end
	tpid := r.servicePID("t")
	r.tree.System.Root.Send(tpid, exportService{req: 999999, freeze: true})
	in := r.asyncInOrder("command unbind web", "command unbind other", "command status service s")
	web, other := in[0], in[1]
	r.reply("status", in[2])
	g.free() // the respawn's lookup ends
	r.expectSeq("s", starting)
	r.tree.System.Root.Send(tpid, thawService{})
	if rep := r.reply("unbind web", web); rep.Err == nil {
		t.Fatal("unbind web answered OK while the respawn held it")
	}
	// refused while web's unbind is under way (or done, had it come after)
	if rep := r.reply("unbind other", other); rep.Err != nil && rep.Err.Error() != "socket 'web' is being unbound: try again once it is" {
		t.Fatalf("unbind other: %v", rep.Err)
	}
	r.shutdownClean()
}

// The same with a bind of another socket while web's unbind is under way
// (and is refused): the bind publishes c.files, from which web's unbind
// dropped web already, and every service takes it (Req 0, no check), s
// included, whose launch uses web. Its respawn then fails fatal,
// "socket 'web' is not bound", though web stays bound. The rollback
// itself publishes the right table, too late for that launch.
func TestBindDuringARefusedUnbindLosesTheSocketOfALaunchInLookup(t *testing.T) {
	t.Parallel()
	r, g := respawnInLookup(t)
	r.ok("socket late host=127.0.0.1", "socket late service=0")
	// t answers web's unbind late (an export's freeze stashes every
	// message until the thaw): the unbind is under way while late's bind
	// ends, and s has taken every table sent before the bind's answer
	tpid := r.servicePID("t")
	r.tree.System.Root.Send(tpid, exportService{req: 999999, freeze: true})
	in := r.asyncInOrder("command unbind web", "command bind late")
	web := in[0]
	// refused while web's unbind is under way (or done, had it come after)
	if rep := r.reply("bind late", in[1]); rep.Err != nil && rep.Err.Error() != "socket 'web' is being unbound: try again once it is" {
		t.Fatalf("bind late: %v", rep.Err)
	}
	g.free()
	r.expectSeq("s", starting)
	r.tree.System.Root.Send(tpid, thawService{})
	if rep := r.reply("unbind web", web); rep.Err == nil {
		t.Fatal("unbind web answered OK while the respawn held it")
	}
	r.shutdownClean()
}

// e74a01d: a DownService abandons a hung lookup, then the table replays
// the events deferred behind that launch before the down is fed. An
// operator's second start of app (deferred while the first launch looked
// up alice) launches again, a new lookup that hangs as well, and the down
// is deferred behind it: the destroy of db, which requires bringing app
// down first, is never answered (TestDestroyOfWhatAHungLookupRequires with
// one more start).
func TestDestroyOfWhatAHungLookupRequiresAfterASecondStart(t *testing.T) {
	t.Parallel()
	r, g, first := appInLookup(t)
	second := r.async("command start service app")
	// no sign to wait for: the second start reaches app once db's up
	// answers (app requires db), and must be deferred there before the
	// destroy's down comes
	time.Sleep(200 * time.Millisecond)
	destroy := r.async("command destroy service db")
	rep := answeredWithin(t, g, destroy, "destroy of db not answered: app's down waits behind a second start's hung lookup")
	t.Logf("destroy: %v %q", rep.Err, rep.Lines)
	r.reply("first start", first)
	r.reply("second start", second)
}

// DownService is also the operator's `command down`: a down of a service
// whose own start is in its user lookup abandoned it, answering the start
// "abandoned for the stop of what it requires" although nothing it
// requires was touched (REFERENCE §2.1 names a destroy, a shutdown, and
// the stop or destroy of what it requires; an operator's stop waits). An
// operator's down waits now, as a stop does.
func TestOperatorDownSaysItWasWhatItRequires(t *testing.T) {
	t.Parallel()
	g := newLookupGate()
	r := newRig(t, func(o *Options) { o.Credential = g.resolve })
	defer g.free()
	r.declare([]string{"app"}, "app user=alice")
	g.armed.Store(true)
	start := r.async("command start service app")
	g.waitAsked(t)
	down := r.async("command down service app")
	r.noReply("start", start, 100*time.Millisecond) // the down waits for the lookup
	g.free()
	if rep := r.reply("start", start); rep.Err != nil {
		t.Errorf("an operator's down of app, which requires nothing, answered its start: %v", rep.Err)
	}
	if rep := r.reply("down", down); rep.Err != nil {
		t.Errorf("down: %v", rep.Err)
	}
}
