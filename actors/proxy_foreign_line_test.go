package actors

import (
	"strings"
	"syscall"
	"testing"
)

// A proxy's log line names the service it is for (REFERENCE §4.4). One
// naming a service the proxy was never asked to start, as another
// proxy's or a direct one's, is the proxy's own line: it went to that
// service's log and its `command tail`.
func TestProxyLineForAServiceItDoesNotRun(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureServiceLog(logs))
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service other cmd=sleep 1000")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 510)
	p.log("out:other:injected")
	if got, want := fieldsText(logs.wait(t, "for service 'other', not started under this proxy: injected")), "info category=proxy.p.out proxy=p"; got != want {
		t.Errorf("logged as %q, want %q", got, want)
	}
	p.log("out:s:its own")
	if got, want := fieldsText(logs.wait(t, "its own")), "info category=service.s.out service=s pid=510 proxy=p"; got != want {
		t.Errorf("s's line logged as %q, want %q", got, want)
	}
	if lines := r.ok("command tail other"); len(lines) != 0 {
		t.Errorf("other's tail: %q", lines)
	}
}

// REFERENCE §6.4: the lines a proxy forwards for a destroyed service (its
// orphans, still writing) are logged, and kept in the tail of a service
// of that name declared since only once that one was started under the
// proxy (the proxy names lines by the service's name alone): they were
// kept in the new one's tail from its declaration, under the proxy and
// not started, or a direct service that no proxy runs.
func TestProxyLinesOfADestroyedServiceNotKeptInANewOne(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s", "keep")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service keep", 1)
	r.expectSeq("keep", starting)
	r.startProxied(p, "keep", 530) // holds the proxy up
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 531)
	p.log("out:s:first")
	handled(t, r, p, "after first")
	destroyed := r.async("command destroy service s")
	if got := p.command(); got != `{"command":"stop","name":"s"}` {
		t.Fatalf("command %q, want the stop of s", got)
	}
	p.stopped("s", 531, killedBy(syscall.SIGTERM))
	if rep := r.reply("destroy", destroyed); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	r.expectSeq("s", stopping, stopped)

	// declared again under the proxy, not started: the old one's orphan
	p.log("out:s:orphan 1")
	r.ok("proxy p service s cmd=sleep 100")
	p.log("out:s:orphan 2")
	handled(t, r, p, "after orphan 2")
	if lines := r.ok("command tail s"); len(lines) != 0 {
		t.Errorf("tail of s declared again, not started: %q, want none", lines)
	}
	// declared again as a service no proxy runs
	r.ok("command destroy service s", "service s cmd=sleep 100")
	p.log("out:s:orphan 3")
	handled(t, r, p, "after orphan 3")
	if lines := r.ok("command tail s"); len(lines) != 0 {
		t.Errorf("tail of s declared again with no proxy: %q, want none", lines)
	}
	// under the proxy and started: the proxy's lines of s are the new
	// one's (an orphan's cannot be told from them)
	r.ok("command destroy service s", "proxy p service s cmd=sleep 100")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 532)
	p.log("out:s:new")
	handled(t, r, p, "after new")
	if lines := r.ok("command tail s"); strings.Join(lines, "|") != "new" {
		t.Errorf("tail of s started again: %q, want [new]", lines)
	}
}

// handled returns once the proxy actor handled the log lines p wrote
// before: it handles them in order, and keeps marker, a line of service
// keep, in keep's tail.
func handled(t *testing.T, r *rig, p *playedProxy, marker string) {
	t.Helper()
	p.log("out:keep:" + marker)
	waitFor(t, "the proxy's line "+marker, func() bool {
		lines := r.ok("command tail keep")
		return len(lines) > 0 && lines[len(lines)-1] == marker
	})
}
