package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
)

// A host whose cfkd shuts down tells its hub first (Node.Leave): the
// hub's `fleet events` says `host up → down (cfkd shut down)`, and a
// request then `cannot connect to ADDR (cfkd shut down)` (or `no answer
// within 2s (cfkd shut down)`, sent as protoactor drops its endpoint to
// the host), where both
// said `connection to ADDR lost`, as of a host that crashed or a network
// that failed (REFERENCE §12.3, §12.4).
func TestHostThatLeavesSaysWhy(t *testing.T) {
	tf := newTestFleet(t, "web1")
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feed.Close)
	l := tf.locals[0]
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		n := len(l.feeds)
		l.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the host has no subscription")
		}
	}
	start := time.Now()
	tf.hosts[0].Leave(WhyHostShutDown)
	if d := time.Since(start); d >= leaveBound {
		t.Errorf("Leave took %v: the hub did not acknowledge", d)
	}
	tf.hosts[0].Stop()
	var got []string
	for end := time.Now().Add(10 * time.Second); ; {
		ctx, cancel := contextWithTimeout(time.Until(end))
		lines, err := feed.Next(ctx)
		cancel()
		for _, line := range lines {
			got = append(got, string(line))
		}
		if s := strings.Join(got, "\n"); strings.Contains(s, `"to":"down"`) || err != nil {
			break
		}
	}
	s := strings.Join(got, "\n")
	if !strings.Contains(s, `"from":"up","to":"down","reason":"cfkd shut down"`) {
		t.Fatalf("the stream said:\n%s\nwant the host down: cfkd shut down", s)
	}
	_, out := outcomes(t, tf.ask("command fleet status"))
	if o := out["web1"]; o.Kind != messages.FleetDown || !strings.HasSuffix(o.Text, " (cfkd shut down)") {
		t.Fatalf("status after: %+v, want down: ... (cfkd shut down)", o)
	}
}
