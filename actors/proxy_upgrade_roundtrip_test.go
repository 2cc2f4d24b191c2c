package actors

import (
	"syscall"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// REFERENCE §13.2: the outstanding starts of a proxied service, as a
// proxy actor exports them in each shape it can hold them (given up
// with no pid and its stop asked, given up with its late pid and a
// current start after it, that current one's stop asked, those of a
// service destroyed since), are a state the new cfkd reads back.
func TestExportedProxiedStartsDecode(t *testing.T) {
	t.Parallel()
	decodes := func(t *testing.T, r *rig, what string, starts int) {
		t.Helper()
		ex := r.export(false)
		n := 0
		for _, ps := range ex.Proxies[0].Services {
			n += len(ps.Starts)
		}
		if n != starts {
			t.Fatalf("%s: exported proxies %+v, want %d starts", what, ex.Proxies, starts)
		}
		st := &upgrade.State{Lock: 3, Admin: &upgrade.Listener{Fd: 4, Network: "unix", Addr: "/h/sock"},
			Services: ex.Services, Proxies: ex.Proxies}
		b, err := upgrade.Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := upgrade.Decode(b); err != nil {
			t.Fatalf("%s: the exported state is refused: %v", what, err)
		}
	}
	t.Run("given up", func(t *testing.T) {
		t.Parallel()
		r, p := givenUpStart(t)
		decodes(t, r, "given up, its pid awaited", 1)
		r.okDone("command start service s", 1)
		r.expectSeq("s", starting)
		p.command() // start 2
		p.started("s", 301)
		r.fake.waitSignal(t, 301, syscall.SIGKILL)
		p.started("s", 302)
		r.expectSeq("s", running)
		decodes(t, r, "given up with its pid, then the current start", 2)
		r.okDone("command stop service s", 1)
		p.command() // stop
		r.expectSeq("s", stopping)
		decodes(t, r, "the current start's stop asked", 2)
	})
	t.Run("destroyed", func(t *testing.T) {
		t.Parallel()
		r, _ := givenUpStart(t)
		r.ok("command destroy service s")
		decodes(t, r, "given up by a service destroyed", 1)
	})
}
