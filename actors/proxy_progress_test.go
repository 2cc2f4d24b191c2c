package actors

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/proxywire"
)

// A proxy that preloads an application (a Python or Ruby app: 10 to 30
// s) reads its first start line only once loaded, and cfkd sends the
// starts of every service under it at once: each service, with no pid
// after startwait and 5 s more, went fail (`proxy did not report the
// pid`) while the proxy, healthy, was about to fork them all. Now a
// service whose proxy is still loading (less than ProxyCommandStall
// since its launch), or answers the starts sent before its own, waits
// again.
func TestPreloadingProxyDoesNotFailItsServices(t *testing.T) {
	t.Parallel()
	// killwait (stopwait, at least 5 s) shortened to 0.5 s: a proxy that
	// loads for 2 s is asked three times while it loads
	r := newRig(t, func(o *Options) { o.killWaitMin = 500 * time.Millisecond })
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s1", "s2", "s3") // startwait 20 ms
	for _, s := range []string{"s1", "s2", "s3"} {
		r.ok("proxy p service " + s + " stopwait_secs=0.5") // asked after 0.5 s
	}
	r.okDone("command start all", 3)
	p := nextProxy(t, proxies)
	for _, s := range []string{"s1", "s2", "s3"} {
		r.expectSeq(s, starting)
	}
	// loading for 2 s: each ask, every 0.5 s after startwait, finds it so
	r.expectNone("s3", fail, 2*time.Second)
	for _, s := range []string{"s1", "s2", "s3"} {
		if st := r.status(s); st[1] != "starting" {
			t.Fatalf("%s is %q (%s) after 2 s, its proxy still loading", s, st[1], st[6])
		}
	}
	// loaded: it forks them one after another, in the order sent
	for i := range 3 {
		name := startName(t, p.command())
		p.started(name, 101+i)
		r.rec.Wait(t, name+" running", deadline, func() bool { return ran(r, name, 101+i) })
	}
}

// startName is the service a start command names.
func startName(t *testing.T, line string) string {
	t.Helper()
	c, err := proxywire.ParseCommand([]byte(line))
	if err != nil || c.Command != proxywire.CommandStart {
		t.Fatalf("command %q (%v), want a start", line, err)
	}
	return c.Name
}

// ran says whether service name went running as pid (under the lock).
func ran(r *rig, name string, pid int) bool {
	found := false
	r.rec.All(func(_ int, ev messages.ServiceStateChanged) bool {
		found = ev.Name == name && ev.To == running && ev.Pid == pid
		return !found
	})
	return found
}

// The bounds: a proxy that loads for longer than ProxyCommandStall fails
// the services started with it at their first ask; one that skips a
// start (a line it could not read) and answers the next fails the
// skipped one at its first ask, not after the stall bound.
func TestStuckProxyStillFailsItsServices(t *testing.T) {
	t.Parallel()
	// the stall bound 1 s; killwait (stopwait, at least 5 s) the
	// default stopwait, 2 s: the first ask 2 s after startwait, the
	// second 4 s
	r := newRig(t, func(o *Options) {
		o.ProxyCommandStall = time.Second
		o.killWaitMin = time.Second
	})
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s1", "s2")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start all", 2)
	t0 := time.Now()
	failed := func(s string) messages.ServiceStateChanged {
		t.Helper()
		var got messages.ServiceStateChanged
		r.rec.Wait(t, s+" failed", 15*time.Second, func() bool {
			r.rec.All(func(_ int, ev messages.ServiceStateChanged) bool {
				if ev.Name == s && ev.To == fail {
					got = ev
				}
				return got.Name == ""
			})
			return got.Name != ""
		})
		return got
	}
	for _, s := range []string{"s1", "s2"} {
		ev := failed(s)
		if ev.Reason != "proxy did not report the pid" {
			t.Fatalf("%s failed %q", s, ev.Reason)
		}
	}
	if d := time.Since(t0); d > 4*time.Second {
		t.Fatalf("a proxy loading for longer than the stall bound failed its services after %v, want startwait and 2 s", d)
	}

	// loaded now (the starts given up and their stops wait in its
	// pipe), it skips the start of s3 and answers that of s4, sent after
	for range 4 {
		p.command()
	}
	r.ok("proxy p service s3 cmd=sleep 100", "proxy p service s4 cmd=sleep 100")
	r.okDone("command start service s3", 1)
	r.okDone("command start service s4", 1)
	t0 = time.Now()
	if a, b := startName(t, p.command()), startName(t, p.command()); a != "s3" || b != "s4" {
		t.Fatalf("starts of %s and %s, want s3 and s4", a, b)
	}
	p.started("s4", 204)
	r.rec.Wait(t, "s4 running", deadline, func() bool { return ran(r, "s4", 204) })
	if ev := failed("s3"); ev.Reason != "proxy did not report the pid" {
		t.Fatalf("s3 failed %q", ev.Reason)
	}
	if d := time.Since(t0); d > 4*time.Second {
		t.Fatalf("the start the proxy skipped failed after %v, want startwait and 2 s", d)
	}
}
