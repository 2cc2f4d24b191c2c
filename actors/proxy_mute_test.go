package actors

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A proxy that closes its status pipe while its process runs can report
// no pid and no exit any more: it is shut down (command pipe closed,
// SIGTERM), and at its end its services go fail with a reason that says
// why. The service waiting for its pid stayed starting for the proxy's
// 30 s loading grace, the one running stayed running for ever.
func TestProxyThatClosesItsStatusPipeIsShutDown(t *testing.T) {
	t.Parallel()
	log, rec := recordingLogger()
	r := newRig(t, func(o *Options) { o.Log = log })
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s", "w")
	r.ok("service w startwait_secs=0")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service w", 1)
	p.command()
	p.started("w", 700)
	r.expectSeq("w", starting, running)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p.command() // the start of s, never answered
	closed := time.Now()
	p.statusW.Close()
	p.eof() // cfkd closed the command pipe: the shutdown
	if took := time.Since(closed); took > proxyMuteWait+5*time.Second {
		t.Errorf("shut down %v after the pipe closed", took)
	}
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	for name, from := range map[string]messages.State{"s": starting, "w": running} {
		ev := r.expectSeq(name, fail)
		if ev[0].From != from || ev[0].Reason != "proxy closed its status pipe" {
			t.Errorf("%s: %s → fail (%q)", name, ev[0].From, ev[0].Reason)
		}
	}
	r.fake.waitSignal(t, 700, syscall.SIGKILL) // w's process: nobody would supervise it
	want := "proxy 'p' closed its status pipe while it runs: it can report no pid and no exit any more: shutting it down"
	if n := strings.Count(rec.text(), want); n != 1 {
		t.Errorf("%d records %q:\n%s", n, want, rec.text())
	}
}

// The end of the status pipe that comes with the proxy's exit is no
// closed pipe: its services go fail with `proxy stopped`, and nothing is
// said of the pipe.
func TestProxyExitIsNoClosedStatusPipe(t *testing.T) {
	t.Parallel()
	log, rec := recordingLogger()
	r := newRig(t, func(o *Options) { o.Log = log })
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service s startwait_secs=0")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	p.command()
	p.started("s", 701)
	r.expectSeq("s", starting, running)
	p.statusW.Close()
	r.fake.exit(t, p.pid, syscall.WaitStatus(1<<8))
	if ev := r.expectSeq("s", fail); ev[0].Reason != "proxy stopped" {
		t.Errorf("s failed with %q", ev[0].Reason)
	}
	time.Sleep(proxyMuteWait + proxyStatusDrain) // a timer left armed would fire by now
	if strings.Contains(rec.text(), "closed its status pipe") {
		t.Errorf("a closed pipe said of a proxy that exited:\n%s", rec.text())
	}
}
