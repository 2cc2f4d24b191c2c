package actors

import (
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// "a service in backoff or fatal says why its start
// failed ... inspect has last_error until the service runs". A retry in
// backoff whose launch the declaration makes impossible (here a
// tie_stdin_to socket not bound, set while in backoff) gives up: fatal,
// through launchImpossible, which neither sets LastError nor gives the
// fatal event a reason. inspect then shows the previous failure's reason,
// stale, as the cause of the fatal; the fatal event says nothing.
func TestFatalByConfigSaysWhy(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.BackoffUnit = 400 * time.Millisecond })
	r.ok("socket web host=127.0.0.1", "socket web service=0")
	r.ok("service s cmd=sleep 100", "service s respawn_max_retries=5", "service s startwait_secs=0.02")
	r.fake.failNextLaunch(errors.New("exec: gone"))
	r.async("command start service s")
	r.expectSeq("s", backoff)
	r.ok("service s tie_stdin_to=web") // the retry cannot launch any more
	ev := r.expectSeq("s", fatal)
	info, err := messages.ParseServiceInfo(r.ok("command inspect service s")[0])
	if err != nil {
		t.Fatal(err)
	}
	if ev[0].Reason == "" || strings.Contains(info.LastError, "exec: gone") || !strings.Contains(info.LastError, "not bound") {
		t.Fatalf("fatal because socket 'web' is not bound: event reason %q, inspect last_error %q (want the socket's error, not the earlier start's)",
			ev[0].Reason, info.LastError)
	}
}

// "a destroy or a shutdown does not wait for a lookup
// (or an env_file read) that may never end" (REFERENCE §2.1). A destroy
// of db first brings down what requires it (§2.8: a DownService to app):
// app's start, its user lookup hung, defers that down for good, and the
// destroy of db is never answered (an apply pruning db would hang the
// same way, and every apply queued after it).
func TestDestroyOfWhatAHungLookupRequires(t *testing.T) {
	t.Parallel()
	r, g, _ := appInLookup(t)
	destroy := r.async("command destroy service db")
	if rep := answeredWithin(t, g, destroy, "destroy of db not answered while app, which requires it, has a user lookup hung"); rep.Err != nil {
		t.Logf("destroy: %v", rep.Err)
	}
}

// Unbind is refused while any proxy process runs,
// "a proxy process gets every bound socket and keeps it while it runs".
// It gets those bound at its launch: a socket bound after the proxy
// started is in no proxy process, yet its unbind is refused too, until
// a proxydown (which stops every service under the proxy). Before the
// commit it was unbound.
func TestUnbindOfASocketBoundAfterTheProxyStarted(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	up := r.async("command proxyup p")
	nextProxy(t, proxies)
	if rep := r.reply("proxyup", up); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	port := r.bindLoopback("late") // the proxy process has not got it
	if rep := r.exec("command unbind late"); rep.Err != nil {
		t.Fatalf("unbind of a socket no proxy process holds: %v", rep.Err)
	}
	if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
		c.Close()
		t.Fatal("still accepting after unbind")
	}
}

// A service whose launch is under way refuses an
// unbind's table and keeps its old one. The next unbind's table, of
// another socket, is then compared with that old table: it still lacks
// the first socket, so the service refuses the second unbind too, naming
// the first socket, although it does not use the second at all.
func TestConcurrentUnbindOfAnUnusedSocketRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.bindLoopback("web")
	r.bindLoopback("other") // used by nobody
	pid := r.startRunning("s", "tie_stdin_to=web")

	inLaunch := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	r.fake.mu.Lock()
	r.fake.onLaunch = func(int, osproc.Spec) {
		inLaunch <- struct{}{}
		<-release // the respawn's fork is under way
	}
	r.fake.mu.Unlock()
	r.fake.exit(t, pid, killedBy(syscall.SIGKILL)) // a crash: launched again at once
	select {
	case <-inLaunch:
	case <-time.After(deadline):
		t.Fatal("no respawn launched")
	}
	// both in the controller's mailbox before any answer to the first
	in := r.asyncInOrder("command unbind web", "command unbind other")
	web, other := in[0], in[1]
	if rep := r.reply("unbind web", web); rep.Err == nil {
		t.Fatal("unbind web answered OK while the respawn held it")
	}
	// refused while web's unbind is under way, as any bind or unbind,
	// never for web's sake
	if rep := r.reply("unbind other", other); rep.Err != nil && rep.Err.Error() != "socket 'web' is being unbound: try again once it is" {
		t.Fatalf("unbind of 'other', which no service uses: %v", rep.Err)
	}
	if rep := r.exec("command unbind other"); rep.Err != nil && rep.Err.Error() != "socket 'other' is not bound" {
		t.Fatalf("unbind of 'other' once web's is done: %v", rep.Err)
	}
	free()
	r.expectSeq("s", fail, starting)
	r.shutdownClean()
}
