package actors

import (
	"io"
	"syscall"
	"testing"

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
	r.declareProxied(nil, "app")
	r.declare([]string{"db"}, "app requires=db")
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting)
	p := nextProxy(t, proxies)
	r.startProxied(p, "app", 700)
	db := r.launchesOf("db")[0].Pid

	// one sender: the controller takes the proxydown before the restart
	replies := r.asyncInOrder("command proxydown p", "command restart service db")
	hold.held(t)                              // app took a stop; the controller has not heard app is stopping
	r.fake.waitSignal(t, db, syscall.SIGTERM) // the restart of db is planned and asked
	hold.free()
	r.expectSeq("app", stopping)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.stopped("app", 700, killedBy(syscall.SIGTERM))
	r.expectSeq("app", stopped)
	p.close()
	r.fake.exit(t, p.pid, 0)
	if rep := r.reply("proxydown p", replies[0]); rep.Err != nil || len(rep.Lines) != 0 {
		t.Fatalf("proxydown p: %v %q, want OK", rep.Err, rep.Lines)
	}
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	r.expectSeq("db", stopping, stopped, starting, running)
	if rep := r.reply("restart db", replies[1]); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("restart db: %v %q, want done 1", rep.Err, rep.Lines)
	}
	r.expectNone("app", starting, window)
	noProxy(t, proxies, window)
	if got := r.ok("command proxystatus"); len(got) != 1 || got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q, want p down", got)
	}
	r.setAutoTerm()
}
