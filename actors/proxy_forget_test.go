package actors

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// A proxy that stays up forgets each service it ran once that service is
// down and its process gone: one kept its record of every service ever
// started under it (and the service's actor with it) for as long as it
// ran, so that a cfkd whose proxy serves services declared, started and
// destroyed one after another grew by about 1.5 KB for each of them
// (17 MB after 11,000), and every upgrade's state named them all.
func TestProxyForgetsItsServicesOnceGone(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "keep", "gone", "stopped")

	r.okDone("command start service keep", 1)
	p := nextProxy(t, proxies)
	r.expectSeq("keep", starting)
	r.startProxied(p, "keep", 4000)

	r.okDone("command start service gone", 1)
	r.expectSeq("gone", starting)
	r.startProxied(p, "gone", 4001)
	r.okDone("command start service stopped", 1)
	r.expectSeq("stopped", starting)
	r.startProxied(p, "stopped", 4002)

	names := func() string {
		ex := r.export(false)
		if len(ex.Proxies) != 1 {
			t.Fatalf("exported proxies %+v", ex.Proxies)
		}
		var out []string
		for _, s := range ex.Proxies[0].Services {
			if !s.Gone { // asked nothing: its last pid alone, for its last lines
				out = append(out, s.Name)
			}
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	// stopped, not destroyed: its record goes too (a start sends it again)
	r.okDone("command stop service stopped", 1)
	if got := p.command(); got != `{"command":"stop","name":"stopped"}` {
		t.Fatalf("command %q, want the stop of stopped", got)
	}
	r.expectSeq("stopped", stopping)
	// while its exit is not reported, the proxy still knows it: an
	// upgrade carries its pid
	if got := names(); got != "gone,keep,stopped" {
		t.Fatalf("proxy's services before the exit %q", got)
	}
	p.stopped("stopped", 4002, killedBy(syscall.SIGTERM))
	r.expectSeq("stopped", stopped)

	destroyed := r.async("command destroy service gone")
	if got := p.command(); got != `{"command":"stop","name":"gone"}` {
		t.Fatalf("command %q, want the stop of gone", got)
	}
	p.stopped("gone", 4001, killedBy(syscall.SIGTERM))
	if rep := r.reply("destroy", destroyed); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	// polled: the proxy hears that a service is down after its transition
	// is published, and no event follows to wake a wait on the recorder
	waitFor(t, "the proxy's services to be keep (gone and stopped forgotten)", func() bool { return names() == "keep" })
	// but for the pids of their last lines (REFERENCE §4.4, §13.2), as
	// many as maxLastPids
	var last []string
	for _, s := range r.export(false).Proxies[0].Services {
		if s.Gone {
			last = append(last, fmt.Sprintf("%s:%d", s.Name, s.LastPid))
		}
	}
	if slices.Sort(last); !slices.Equal(last, []string{"gone:4001", "stopped:4002"}) {
		t.Fatalf("the last pids carried %q, want gone's and stopped's", last)
	}

	// a stopped service starts again under the same proxy
	r.okDone("command start service stopped", 1)
	r.expectSeq("stopped", starting)
	r.startProxied(p, "stopped", 4003)
	if got := names(); got != "keep,stopped" {
		t.Fatalf("proxy's services after the new start %q", got)
	}
}
