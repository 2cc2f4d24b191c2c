package web

import (
	"strings"
	"testing"
	"time"
)

// cfkd closes the server once a shutdown has brought every service down
// (REFERENCE §10): the changes that brought the last ones down, published
// just before, must reach the open event streams before they end, as they
// reach the console's (`cfkctl events` showed `stopping → stopped`, the
// page's stream ended on `stopping`). Close ended the streams at once,
// their connections closed under them, and a stream that saw the close
// before the changes dropped them.
func TestEventStreamSendsTheLastChangesAtClose(t *testing.T) {
	ev := &fakeEvents{}
	r := newRig(t, Options{Events: ev})
	r.ok("service a cmd=sleep 100")
	r.running("a")
	s := r.stream(t, "/api/events")
	s.next("snapshot")
	ev.publish(Event{Time: time.Now(), Name: "a", From: "running", To: "stopping", Pid: 1})
	ev.publish(Event{Time: time.Now(), Name: "a", From: "stopping", To: "stopped", Pid: 1})
	r.web.Close()
	var got []string
	timeout := time.After(deadline)
	for {
		select {
		case e, ok := <-s.events:
			if ok {
				if e.name == "transition" {
					got = append(got, e.data)
				}
				continue
			}
		case <-timeout:
			t.Fatalf("the stream did not end %v after Close", deadline)
		}
		break
	}
	if len(got) != 2 || !strings.Contains(got[1], `"to":"stopped"`) {
		t.Fatalf("the stream ended with transitions %q, want the two published before Close", got)
	}
}
