package actors

import (
	"io"
	"slices"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// A restart of db that reaches the controller just after a `proxydown p`
// whose proxy runs app (which requires db), before app's update saying
// it is stopping (app's actor is held in its stop's record here), does
// not take app along: the proxydown stops app as `stop` does (REFERENCE
// §4.5), and a restart takes along no dependent another request's stop
// was sent to and has not answered (§2.8). The proxy's actor sent those
// stops, and the controller knew nothing of them: it took app along,
// asked app's restart once db ran again, and app started again after the
// proxydown, which ran the proxy again.
func TestRestartLeavesADependentAProxydownStops(t *testing.T) {
	t.Parallel()
	hold := newStopHold(t, "app")
	r := newRig(t, func(o *Options) {
		o.Log = logrus.New()
		o.Log.SetOutput(io.Discard)
		o.Log.SetLevel(logrus.InfoLevel) // the service's info records reach Events
		o.Events = hold
	})
	proxies := r.playProxies()
	p, db := appUnderPRequiringDB(t, r, proxies)

	// one sender: the controller takes the proxydown before the restart
	replies := r.asyncInOrder("command proxydown p", "command restart service db")
	hold.held(t)                              // app took a stop; the controller has not heard app is stopping
	r.fake.waitSignal(t, db, syscall.SIGTERM) // the restart of db is planned and asked
	hold.free()
	proxydownStops(t, r, p, "app", 700, replies[0])
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("db", stopping, stopped, starting, running)
	if rep := r.reply("restart db", replies[1]); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
	}
	staysDownWithP(t, r, proxies, "app")
	r.setAutoTerm()
}

// The reverse order: `restart service db` comes first, and app's restart
// (app runs under p and requires db) waits for db to run again (db's
// exit, which the fake launcher holds here, keeps it waiting), then
// `proxydown p`. The proxydown stops app as `stop` does, and, as a stop
// does, cancels that restart of app, planned and not asked (REFERENCE
// §2.8, §4.5): app stays down, p is not run again, and the restart is
// answered for db, with app's line. It asked app's restart once db ran
// again, and app started again after the proxydown, under p run again.
func TestProxydownCancelsARestartsPendingStartOfItsService(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	p, db := appUnderPRequiringDB(t, r, proxies)

	// one sender: the controller plans the restart before the proxydown
	replies := r.asyncInOrder("command restart service db", "command proxydown p")
	r.fake.waitSignal(t, db, syscall.SIGTERM) // db's restart is asked; app's waits for db to run again
	proxydownStops(t, r, p, "app", 700, replies[1])
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("db", stopping, stopped, starting, running)
	want := []string{"done 1", "app: Service 'app': restart cancelled by a stop"}
	if rep := r.reply("restart db", replies[0]); rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("restart db: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	staysDownWithP(t, r, proxies, "app")
	r.setAutoTerm()
}

// A start planned before a `proxydown p` of a service declared under p
// that is down, waiting for what it requires (app, waiting for db, which
// a restart stops), is cancelled too: once db ran, it ran p again, which
// the proxydown had stopped with app2. The start is answered `start
// cancelled by a stop` (REFERENCE §2.8, §4.5).
func TestProxydownCancelsAPendingStartOfAServiceDownUnderIt(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "app", "app2")
	r.declare([]string{"db"}, "app requires=db")
	p := r.startFirstProxied(proxies, "app2", 701)
	r.okDone("command start service db", 1)
	r.expectSeq("db", starting, running)
	db := r.launchesOf("db")[0].Pid

	// one sender: the restart, then the start of app (waiting for db to
	// run again), then the proxydown
	replies := r.asyncInOrder("command restart service db", "command start service app", "command proxydown p")
	r.fake.waitSignal(t, db, syscall.SIGTERM)
	proxydownStops(t, r, p, "app2", 701, replies[2])
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("db", stopping, stopped, starting, running)
	if rep := r.reply("restart db", replies[0]); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 1"}) {
		t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
	}
	if rep := r.reply("start app", replies[1]); rep.Err == nil || rep.Err.Error() != "Service 'app': start cancelled by a stop" {
		t.Fatalf("start app: %v %q, want the start cancelled", rep.Err, rep.Lines)
	}
	staysDownWithP(t, r, proxies, "app")
	r.setAutoTerm()
}

// proxydownStops plays p's part in a `proxydown p` whose one service up
// is name (pid): name is stopped, p ends, and the proxydown, whose reply
// comes on down, is answered OK.
func proxydownStops(t *testing.T, r *rig, p *playedProxy, name string, pid int, down <-chan messages.Reply) {
	t.Helper()
	r.expectSeq(name, stopping)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.stopped(name, pid, killedBy(syscall.SIGTERM))
	r.expectSeq(name, stopped)
	p.close()
	r.fake.exit(t, p.pid, 0)
	if rep := r.reply("proxydown p", down); rep.Err != nil || len(rep.Lines) != 0 {
		t.Fatalf("proxydown p: %v %q, want OK", rep.Err, rep.Lines)
	}
}

// staysDownWithP checks that name does not start again and that p, shut
// down by a proxydown, is not run again.
func staysDownWithP(t *testing.T, r *rig, proxies <-chan *playedProxy, name string) {
	t.Helper()
	r.expectNone(name, starting, window)
	noProxy(t, proxies, window)
	if got := r.ok("command proxystatus"); len(got) != 1 || got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q, want p down", got)
	}
}

// appUnderPRequiringDB runs app (pid 700) under proxy p, app requiring
// db, which runs directly: p's played process, and db's pid.
func appUnderPRequiringDB(t *testing.T, r *rig, proxies <-chan *playedProxy) (*playedProxy, int) {
	t.Helper()
	r.declareProxied(nil, "app")
	r.declare([]string{"db"}, "app requires=db")
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting)
	p := nextProxy(t, proxies)
	r.startProxied(p, "app", 700)
	return p, r.launchesOf("db")[0].Pid
}
