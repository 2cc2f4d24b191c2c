package actors

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/proxywire"
)

// declareProxied declares proxy p (cmd, attrs) and services under it
// (sleep 100, startwait 20 ms).
func (r *rig) declareProxied(proxyAttrs []string, services ...string) {
	r.t.Helper()
	r.ok("proxy p cmd=cfk-proxy --preload x")
	for _, a := range proxyAttrs {
		r.ok("proxy p " + a)
	}
	for _, s := range services {
		r.ok("proxy p service "+s+" cmd=sleep 100", "proxy p service "+s+" startwait_secs=0.02")
	}
}

// startProxied starts svc under the played proxy p, reports it started as
// pid, and waits until it runs.
func (r *rig) startProxied(p *playedProxy, svc string, pid int) {
	r.t.Helper()
	if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"`+svc+`"`) {
		r.t.Fatalf("command %q, want a start of %s", got, svc)
	}
	p.started(svc, pid)
	ev := r.expectSeq(svc, running)
	if ev[0].Pid != pid {
		r.t.Fatalf("%s runs as pid %d, want %d", svc, ev[0].Pid, pid)
	}
}

// startFirstProxied starts svc, the first service of auto proxy p: the
// start launches the proxy, played (the next of proxies), which reports
// svc started as pid; it returns once svc runs, with the played proxy.
func (r *rig) startFirstProxied(proxies <-chan *playedProxy, svc string, pid int) *playedProxy {
	r.t.Helper()
	r.okDone("command start service "+svc, 1)
	r.expectSeq(svc, starting)
	p := nextProxy(r.t, proxies)
	r.startProxied(p, svc, pid)
	return p
}

func TestProxyAutoRunsWithFirstServiceAndStopsAfterLast(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"add_env=FOO=bar"}, "s1", "s2")
	r.ok("service s1 add_env=A=1")
	if got := r.ok("command proxystatus"); len(got) != 1 || got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q", got)
	}
	if st := r.status("s1"); st[5] != "p!" {
		t.Fatalf("status of a down proxy's service: %q", st)
	}
	// the original's pids line of a service whose proxy does not run:
	// no proxy pid, no ", " (REFERENCE §1.6)
	if got := r.ok("command pids service s1"); len(got) != 1 || got[0] != "s1: " {
		t.Fatalf("pids of a down proxy's service %q, want %q", got, "s1: ")
	}

	r.okDone("command start service s1", 1)
	p := nextProxy(t, proxies)
	for _, kv := range []string{"_CFK_COMMAND_FD=3", "_CFK_STATUS_FD=4", "_CFK_LOG_FD=5", "FOO=bar", "PATH=/usr/bin:/bin"} {
		if !hasEnv(p.spec.Env, kv) {
			t.Errorf("proxy env lacks %s: %q", kv, p.spec.Env)
		}
	}
	if len(p.spec.ExtraFiles) != 3 || !p.spec.Setsid || strings.Join(p.spec.Argv, " ") != "cfk-proxy --preload x" {
		t.Fatalf("proxy spec %+v", p.spec)
	}
	want := `{"command":"start","name":"s1","cmd":"sleep 100","env":{"A":"1"},"ignore_stdout":false,"ignore_stderr":false,"tie_stdin_to":null,"no_new_session":false}`
	if got := p.command(); got != want {
		t.Fatalf("start command\n got %s\nwant %s", got, want)
	}
	r.expectSeq("s1", starting)
	// no pid yet: startwait cannot make it running
	r.expectQuiet("s1", window)
	p.started("s1", 4242)
	ev := r.expectSeq("s1", running)
	if ev[0].Pid != 4242 {
		t.Fatalf("running pid %d", ev[0].Pid)
	}
	pp := strconv.Itoa(p.pid)
	if got := r.ok("command proxystatus"); len(got) != 1 || got[0] != "p\tup\t"+pp {
		t.Fatalf("proxystatus %q", got)
	}
	if got := r.ok("command pids service s1"); got[0] != "s1: "+pp+", 4242" {
		t.Fatalf("pids %q", got)
	}
	if st := r.status("s1"); st[1] != "running" || st[2] != "4242" || st[5] != "p" || st[7] != "sleep 100" {
		t.Fatalf("status %q", st)
	}
	if got := r.ok("command desc service s1"); got[0] != "s1\t\t\tp\tsleep 100" {
		t.Fatalf("desc %q", got)
	}

	// a second service: the same proxy, no new launch
	r.okDone("command start service s2", 1)
	r.expectSeq("s2", starting)
	r.startProxied(p, "s2", 4243)
	noProxy(t, proxies, window)

	// stopping one keeps the proxy up
	r.okDone("command stop service s1", 1)
	if got := p.command(); got != `{"command":"stop","name":"s1"}` {
		t.Fatalf("stop command %q", got)
	}
	r.expectSeq("s1", stopping)
	p.stopped("s1", 4242, killedBy(syscall.SIGTERM))
	r.expectSeq("s1", stopped)
	r.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, window)

	// the last one down: the proxy is shut down (pipe closed, SIGTERM)
	r.okDone("command stop service s2", 1)
	if got := p.command(); got != `{"command":"stop","name":"s2"}` {
		t.Fatalf("stop command %q", got)
	}
	p.stopped("s2", 4243, exitCode(0))
	r.expectSeq("s2", stopping, stopped)
	p.eof()
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	waitProxyStatus(r, "p\tdown\t")
	if st := r.status("s2"); st[1] != "stopped" || st[5] != "p!" {
		t.Fatalf("status %q", st)
	}
	// and runs again with the next start
	r.okDone("command start service s1", 1)
	r.expectSeq("s1", starting)
	p2 := nextProxy(t, proxies)
	r.startProxied(p2, "s1", 5000)
}

// waitProxyStatus waits until proxystatus answers exactly want (one
// proxy): it is checked after every ProxyStateChanged event.
func waitProxyStatus(r *rig, want string) {
	r.t.Helper()
	changed := make(chan struct{}, 1)
	sub := r.tree.System.EventStream.Subscribe(func(ev any) {
		if _, ok := ev.(messages.ProxyStateChanged); ok {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	})
	defer r.tree.System.EventStream.Unsubscribe(sub)
	timeout := time.After(deadline)
	for {
		got := r.ok("command proxystatus")
		if len(got) == 1 && got[0] == want {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			r.t.Fatalf("proxystatus %q, want %q", got, want)
		}
	}
}

func TestProxyNoautoRefusesUntilProxyup(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.fails("command start service s", "Proxy is not running, not starting service 's'")
	r.fails("command up service s", "Proxy is not running, not starting service 's'")
	noProxy(t, proxies, window)
	if st := r.status("s"); st[1] != "stopped" {
		t.Fatalf("status %q", st)
	}
	r.fails("command proxyup nope", "Couldn't find a valid proxy. bailing.")
	r.fails("command proxydown nope", "Couldn't find a valid proxy. bailing.")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.ok("command proxyup p") // already up: nothing to do
	waitProxyStatus(r, "p\tup\t"+strconv.Itoa(p.pid))
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 777)
	// noauto: the last service down leaves the proxy up
	r.okDone("command stop service s", 1)
	p.command()
	p.stopped("s", 777, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopping, stopped)
	r.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, window)
	// proxydown answers once it is gone
	r.ok("command proxydown p")
	p.eof()
	if got := r.ok("command proxystatus"); got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q", got)
	}
	r.ok("command proxydown p") // down already
}

func TestProxyWithoutCommand(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("proxy p service s cmd=sleep 1")
	r.fails("command start service s", "Proxy 'p' can't run: no command")
	r.fails("command proxyup p", "Proxy 'p' can't run: no command")
	if n := r.fake.launchCount(); n != 0 {
		t.Fatalf("%d launches", n)
	}
	// the proxy was declared by its service line
	if got := r.ok("command proxystatus"); len(got) != 1 || got[0] != "p\tdown\t" {
		t.Fatalf("proxystatus %q", got)
	}
}

func TestProxyExitFailsItsUpServices(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s1", "s2", "s3")
	r.okDone("command start service s1", 1)
	r.expectSeq("s1", starting)
	p := nextProxy(t, proxies)
	r.startProxied(p, "s1", 101)
	r.okDone("command start service s2", 1)
	r.expectSeq("s2", starting)
	r.startProxied(p, "s2", 102)
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
	for _, s := range []string{"s1", "s2"} {
		ev := r.expectSeq(s, fail)
		if ev[0].Reason != "proxy stopped" {
			t.Fatalf("%s: reason %q", s, ev[0].Reason)
		}
		if st := r.status(s); st[1] != "fail" || st[2] != "" || st[5] != "p!" {
			t.Fatalf("status %q", st)
		}
	}
	r.expectQuiet("s3", window)
	if st := r.status("s3"); st[1] != "stopped" {
		t.Fatalf("s3 status %q", st)
	}
	// what the dead proxy's pipes still say is not read: cfkd closed
	// them once its lines were drained (as a process it left would find)
	line := proxywire.EncodeStatus(proxywire.Status{Status: proxywire.StatusStopped, Name: "s1", Pid: 101, ExitStatus: int(exitCode(1))})
	if _, err := p.statusW.Write(line); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("a status line written after the proxy's end: %v, want EPIPE", err)
	}
	r.expectQuiet("s1", window)
}

func TestProxiedServiceBacksOffToFatal(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	r.ok("service s startwait_secs=10", "service s respawn_max_retries=3")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p := nextProxy(t, proxies)
	for i := 0; i < 3; i++ {
		// in backoff the auto proxy holds for the retry, which runs there
		// (REFERENCE §4.5): shut down, it was launched again at every
		// retry, its preload done again
		if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"s"`) {
			t.Fatalf("command %q, want a start of s", got)
		}
		p.started("s", 200+i)
		p.stopped("s", 200+i, exitCode(1))
		if i < 2 {
			r.expectSeq("s", backoff, starting)
		}
	}
	r.expectSeq("s", fatal)
	noProxy(t, proxies, window)
	// given up: the proxy holds no more
	p.eof()
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	waitProxyStatus(r, "p\tdown\t")
	r.expectQuiet("s", window)
}

// crashToBackoff makes the proxied service s crash n times (2 or more)
// while running under the played proxy p (pids 200, 201, ...): the first
// crash is started again at once, the second waits 1 s in backoff, the
// third 2 s (REFERENCE §2.3); it returns in the last backoff.
func (r *rig) crashToBackoff(p *playedProxy, n int) {
	r.t.Helper()
	r.startProxied(p, "s", 200)
	p.stopped("s", 200, exitCode(1))
	r.expectSeq("s", fail, starting)
	for i := 1; i < n; i++ {
		r.startProxied(p, "s", 200+i)
		p.stopped("s", 200+i, exitCode(1))
		if i < n-1 {
			r.expectSeq("s", fail, backoff, starting)
		}
	}
	r.expectSeq("s", fail, backoff)
}

// heldInBackoff starts s, alone under auto proxy p, and makes it crash
// n times (crashToBackoff): it returns in backoff, p held up for its
// retry, with the rig and the played proxies.
func heldInBackoff(t *testing.T, opt func(*Options), n int) (*rig, *playedProxy, <-chan *playedProxy) {
	t.Helper()
	r := newRig(t, opt)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p := nextProxy(t, proxies)
	r.crashToBackoff(p, n)
	return r, p, proxies
}

// holdLong makes the hold of a proxy for a service in backoff last a
// minute past its retry: a test that sees the proxy end sooner sees it
// told, not the hold expire.
func holdLong(o *Options) { o.ProxyHoldGrace = time.Minute }

// A stop or a destroy of a service in backoff lets the auto proxy that
// held for its retry end at once.
func TestProxyHeldForBackoffEndsAtItsStop(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"stop", "destroy"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			r, p, proxies := heldInBackoff(t, holdLong, 2)
			r.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, window)
			r.ok("command " + verb + " service s")
			// the stop line of s, for what its exited process left
			// (REFERENCE §7.5), may come before the pipe closes
			select {
			case l, ok := <-p.cmds:
				if ok && l != `{"command":"stop","name":"s"}` {
					t.Fatalf("command %q, want the stop line of s or the pipe closed", l)
				} else if ok {
					p.eof()
				}
			case <-time.After(deadline):
				t.Fatalf("command pipe still open after %v", deadline)
			}
			r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
			waitProxyStatus(r, "p\tdown\t")
			noProxy(t, proxies, window)
		})
	}
}

// A service moved off its proxy while in backoff (an apply that declares
// it without) lets the proxy that held for its retry end once it runs
// elsewhere.
func TestProxyHeldForBackoffEndsWhenTheRetryMoves(t *testing.T) {
	t.Parallel()
	r, p, proxies := heldInBackoff(t, holdLong, 2)
	ch := r.async(applyReq("", "service s cmd=sleep 100\nservice s startwait_secs=0.02\nproxy p cmd=cfk-proxy --preload x\n"))
	r.expectSeq("s", starting) // a direct child
	if rep := r.reply("apply", ch); rep.Err != nil {
		t.Fatalf("apply: %v", rep.Err)
	}
	if st := r.status("s"); st[5] != "" {
		t.Fatalf("s still under a proxy: %q", st)
	}
	p.eof()
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	waitProxyStatus(r, "p\tdown\t")
	noProxy(t, proxies, window)
}

func TestProxiedServiceRespawnsAfterFailWhileRunning(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 300)
	p.stopped("s", 300, exitCode(3))
	ev := r.expectSeq("s", fail, starting)
	if ev[0].Reason != "Exited with error 3" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
	// same proxy: the respawn came before any "down"
	r.startProxied(p, "s", 301)
	noProxy(t, proxies, window)
	r.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, 0)
}

func TestProxiedStopwaitSigkillsThePid(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	r.ok("service s stopwait_secs=0.05")
	p := r.startFirstProxied(proxies, "s", 400)
	r.okDone("command stop service s", 1)
	p.command()
	r.expectSeq("s", stopping)
	r.fake.waitSignal(t, 400, syscall.SIGKILL)
	p.stopped("s", 400, killedBy(syscall.SIGKILL))
	ev := r.expectSeq("s", fail)
	if ev[0].Reason != "Received signal 9" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
}

func TestProxyLogLines(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureServiceLog(logs))
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 500)
	p.log("err:s:boom: it broke")
	p.log("out:s:hello")
	p.log("out:-:proxy here")
	cases := map[string]string{
		"boom: it broke": "error category=service.s.err service=s pid=500 proxy=p",
		"hello":          "info category=service.s.out service=s pid=500 proxy=p",
		"proxy here":     "info category=proxy.p.out proxy=p",
	}
	for msg, want := range cases {
		if got := fieldsText(logs.wait(t, msg)); got != want {
			t.Errorf("%q logged as %q, want %q", msg, got, want)
		}
	}
}

func TestProxyGraceThenSigkill(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.ProxyGrace = 50 * time.Millisecond })
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 600)
	// the proxy ignores SIGTERM (no autoTerm): gone after the grace anyway
	r.ok("command proxydown p")
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	r.fake.waitSignal(t, p.pid, syscall.SIGKILL)
	ev := r.expectSeq("s", stopping, fail) // the proxydown stops it first (REFERENCE §4.5)
	if ev[1].Reason != "proxy stopped" {
		t.Fatalf("reason %q", ev[1].Reason)
	}
	r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
}

func TestShutdownStopsProxiedServicesThenProxies(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 700)
	done := r.async("command shutdown")
	if got := p.command(); got != `{"command":"stop","name":"s"}` {
		t.Fatalf("command %q", got)
	}
	r.noReply("shutdown", done, window)
	p.stopped("s", 700, killedBy(syscall.SIGTERM))
	if rep := r.reply("shutdown", done); rep.Err != nil {
		t.Fatalf("shutdown: %v", rep.Err)
	}
	r.expectSeq("s", stopping, stopped)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.eof()
	r.fails("command proxyup p", "cfkd is shutting down")
}

func TestProxyStartLineShapes(t *testing.T) {
	t.Parallel()
	c := messages.NewServiceConfig("w")
	c.Argv = []string{"perl", "-e", "print 1 <2"}
	c.IgnoreStdout, c.NoNewSession, c.TieStdinTo = true, true, "web"
	want := `{"command":"start","name":"w","cmd":["perl","-e","print 1 <2"],"env":{},"ignore_stdout":true,"ignore_stderr":false,"tie_stdin_to":"web","no_new_session":true}` + "\n"
	if got, err := proxywire.EncodeCommand(startCommand(c)); string(got) != want {
		t.Fatalf("\n got %s (%v)\nwant %s", got, err, want)
	}
}

func TestProxyBrokenCommandPipeShutsItDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 800)
	p.closeCommands()
	r.okDone("command stop service s", 1) // the stop command cannot be written
	r.expectSeq("s", stopping)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	ev := r.expectSeq("s", fail)
	if ev[0].Reason != "proxy stopped" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
	waitProxyStatus(r, "p\tdown\t")
}

func TestProxiedStopGivesUpWhenTheProxyNeverReports(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s", "q")
	r.ok("service s stopwait_secs=0.03", "service q stopwait_secs=0.03")
	p := r.startFirstProxied(proxies, "s", 900)
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping)
	r.fake.waitSignal(t, 900, syscall.SIGKILL)
	ev := r.expectSeq("s", fail)
	if ev[0].Reason != "proxy did not report the exit" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
	// never started (its start queued behind the proxy, which s left
	// idle): stopped at once, nothing ran. The proxy is told that s is
	// down after s published its fail: q's start is sent once the idle
	// proxy is stopping (it got SIGTERM), or it may come first, and run
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	r.okDone("command start service q", 1)
	r.expectSeq("q", starting)
	p.command()
	r.okDone("command stop service q", 1)
	r.expectSeq("q", stopping, stopped)
}

func TestProxyGetsTheBoundSockets(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web")
	r.declareProxied(nil, "s")
	r.ok("service s tie_stdin_to=web")
	r.okDone("command start service s", 1)
	p := nextProxy(t, proxies)
	if !hasEnv(p.spec.Env, "_CFK_SOCK_web=6") || len(p.spec.ExtraFiles) != 4 {
		t.Fatalf("proxy env %q, %d extra files", p.spec.Env, len(p.spec.ExtraFiles))
	}
	if got := p.command(); !strings.Contains(got, `"tie_stdin_to":"web"`) {
		t.Fatalf("start command %q", got)
	}
}

// A proxy that does not read its commands (the played one stops reading
// once 64 lines wait in its channel): once the pipe and the writer's queue
// are full and it takes none of the lines past them for
// ProxyCommandStall, cfkd shuts it down instead of blocking. Start lines
// never fill them (proxyStartWindow): this proxy answers its starts, then
// reads no more while the stop lines of its services, 1 KiB long, come.
func TestProxyNotReadingCommandsIsShutDown(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.ProxyCommandStall = 300 * time.Millisecond })
	const n = 450
	r.setAutoTerm()
	proxies := r.playProxies()
	r.ok("proxy p cmd=cfk-proxy")
	long := strings.Repeat("x", 1024)
	for i := range n {
		s := fmt.Sprintf("s%d%s", i, long)
		// stopwait 30 s: the proxy's end, not their stop, ends them
		r.ok("proxy p service "+s+" cmd=sleep 100", "proxy p service "+s+" stopwait_secs=30")
	}
	r.okDone("command start all", n)
	p := nextProxy(t, proxies)
	for i := range n {
		p.started(startName(t, p.command()), 1000+i)
	}
	r.wait("every service running", func() bool {
		up := 0
		r.rec.All(func(_ int, ev messages.ServiceStateChanged) bool {
			if ev.To == running {
				up++
			}
			return true
		})
		return up == n
	})
	r.okDone("command stop all", n)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
}

// startManyUnderProxy starts n services under a played proxy p, each
// start line 1 KiB long: about 64 fill the pipe, cmdQueueSize more the
// writer's queue.
func (r *rig) startManyUnderProxy(n int) *playedProxy {
	r.t.Helper()
	r.setAutoTerm()
	proxies := r.playProxies()
	r.ok("proxy p cmd=cfk-proxy")
	big := strings.Repeat("x", 1024)
	for i := 0; i < n; i++ {
		s := "s" + strconv.Itoa(i)
		r.ok("proxy p service "+s+" cmd=sleep 100", "service "+s+" add_env=BIG="+big)
	}
	r.ok("command start all")
	return nextProxy(r.t, proxies)
}

// A proxy slow to read its first commands (one that preloads an
// application first) while 400 services under it are started: the pipe
// and the writer's queue were full at once, and cfkd shut the proxy down
// before it had read a line ("does not read its commands"), failing every
// service. The lines past the queue now wait for it, in order; only a
// proxy that takes none of them for ProxyCommandStall is shut down.
func TestProxySlowToReadIsNotShutDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	const n = 400
	p := r.startManyUnderProxy(n)
	r.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, 500*time.Millisecond)
	seen := map[string]bool{}
	for i := range n {
		name := startName(t, p.command())
		if seen[name] {
			t.Fatalf("command of %q seen before", name)
		}
		seen[name] = true
		p.started(name, 1000+i) // the next start goes once it answers (proxyStartWindow)
	}
	r.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, window)
}

// A service in backoff crosses an upgrade in place with the proxy that
// holds for its retry (the hold itself is not carried): a stop of it in
// the new cfkd lets that auto proxy end, as in the former one.
func TestProxyHeldForBackoffAcrossAnUpgrade(t *testing.T) {
	t.Parallel()
	old, p, _ := heldInBackoff(t, holdLong, 3) // 2 s: the adoption comes before the retry
	ex := old.exportSettled(true)
	if len(ex.Proxies) != 1 || !ex.Proxies[0].Running {
		t.Fatalf("exported proxies %+v, want p running", ex.Proxies)
	}
	nw := adoptProxied(t, ex, &ex.Proxies[0])
	if st := nw.status("s"); st[1] != "backoff" {
		t.Fatalf("s %q after the adoption, want backoff", st)
	}
	nw.okDone("command stop service s", 1)
	nw.fake.waitSignal(t, p.pid, syscall.SIGTERM)
}
