package actors

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
)

// A proxy's launch passes the proxy process every bound socket: an unbind
// closes the fd only once each proxy has acknowledged the table without
// it. Here a proxy is in the middle of its launch (its actor busy, the
// socket among the files handed to the fork) when unbind comes: the
// unbind is refused (the process being launched will hold the socket, as
// a running one does), and the fd is still the socket's when the launch
// ends. Before, the proxies got the table with no acknowledgement and the
// fd was closed while the launch used it. (The launch runs on a worker:
// the proxy actor answers at once.)
func TestUnbindWaitsForAProxyLaunching(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	inLaunch, release, checked := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	r.fake.mu.Lock()
	played := r.fake.onLaunch
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		if hasEnv(spec.Env, proxywire.EnvSockPrefix+"web=6") && len(spec.ExtraFiles) == 4 {
			var before, after syscall.Stat_t
			fd := int(spec.ExtraFiles[3].Fd())
			err := syscall.Fstat(fd, &before)
			close(inLaunch)
			<-release
			if err == nil {
				err = syscall.Fstat(fd, &after)
			}
			if err == nil && (after.Ino != before.Ino || after.Dev != before.Dev) {
				err = syscall.EBADF // the number now names another file
			}
			checked <- err
		}
		played(pid, spec)
	}
	r.fake.mu.Unlock()
	up := r.async("command proxyup p")
	select {
	case <-inLaunch:
	case <-time.After(deadline):
		close(release)
		t.Fatalf("no proxy launched with socket web after %v", deadline)
	}
	unbind := r.async("command unbind web")
	want := "socket 'web' is in use by proxy p (launching), whose process holds every bound socket: proxydown it first"
	if rep := r.reply("unbind", unbind); rep.Err == nil || rep.Err.Error() != want {
		close(release)
		t.Fatalf("unbind during the proxy's launch: %v, want %q", rep.Err, want)
	}
	close(release)
	if err := <-checked; err != nil {
		t.Fatalf("the socket's fd, handed to the proxy's fork, was closed under it: %v", err)
	}
	nextProxy(t, proxies)
	if rep := r.reply("proxyup", up); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	// the proxy launched holds the socket: the unbind is refused, the
	// socket kept
	want = "socket 'web' is in use by proxy p (up), whose process holds every bound socket: proxydown it first"
	if rep := r.reply("unbind", r.async("command unbind web")); rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("unbind: %v, want %q", rep.Err, want)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("the refused unbind closed the socket: %v", err)
	}
	c.Close()
}

// A socket bound after the proxy's launch is not among its process's
// fds: a service tied to it was sent to the proxy all the same, which
// logged "'web' not found in proxy" and ran it with /dev/null as fd 0, and
// the worker crashed in a loop (proxyup, bind, start: the way to set up
// preforked workers). Its start now fails with why, nothing sent; once
// the proxy runs again, with the socket, the start goes.
func TestProxiedStartTiedToASocketBoundAfterTheProxyRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "w")
	r.ok("service w tie_stdin_to=web", "service w respawn_on_fail=0")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.bindLoopback("web")
	r.okDone("command start service w", 1)
	tr := r.expectSeq("w", starting, fail)
	if want := "socket 'web' was bound after proxy 'p' started"; !strings.Contains(tr[1].Reason, want) {
		t.Fatalf("fail reason %q, want it to say %q", tr[1].Reason, want)
	}
	select {
	case l := <-p.cmds:
		t.Fatalf("start line sent to a proxy without the socket: %q", l)
	case <-time.After(window):
	}
	r.ok("command proxydown p")
	r.ok("command proxyup p")
	p = nextProxy(t, proxies)
	if !hasEnv(p.spec.Env, proxywire.EnvSockPrefix+"web=6") {
		t.Fatalf("the proxy run again lacks the socket: %q", p.spec.Env)
	}
	r.okDone("command start service w", 1)
	r.expectSeq("w", starting)
	r.startProxied(p, "w", 401)
}

// The restart of a worker that runs under a proxy, its tie_stdin_to
// changed to a socket bound since the proxy's launch, is refused, its
// process kept (REFERENCE §1.4, §3): the restart stopped the worker, then
// the proxy refused its start, so that an apply moving a pool of
// preforked workers to a new socket took every one of them down, and
// answered OK.
func TestProxiedRestartOntoASocketBoundAfterTheProxyRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "w")
	r.bindLoopback("web")
	r.ok("service w tie_stdin_to=web")
	r.okDone("command start service w", 1)
	p := nextProxy(t, proxies)
	r.expectSeq("w", starting)
	r.startProxied(p, "w", 401)

	r.bindLoopback("web2")
	r.ok("service w tie_stdin_to=web2")
	r.fails("command restart service w", "Service 'w' cannot start: socket 'web2' was bound after proxy 'p' started, whose process does not have it: proxydown and proxyup it")
	r.expectQuiet("w", window)
	if f := r.status("w"); f[1] != "running" || f[2] != "401" {
		t.Fatalf("after the refused restart: %q, want w running as pid 401", f)
	}
	select {
	case l := <-p.cmds:
		t.Fatalf("the refused restart sent the proxy %q", l)
	default:
	}
}
