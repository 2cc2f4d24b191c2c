package web

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// A stream opened with a token that a reload of the token file then
// withdraws ends before its next batch, with the reason, as the
// console's streams do (REFERENCE §10.1, §5.3): the event stream with a
// cutoff, a log follow with an end. It went on reading every change and
// every log line while the same token was refused at the next request.
// A stream of a token still in the file goes on.
func TestStreamsEndOnceTheirTokenIsWithdrawn(t *testing.T) {
	t.Parallel()
	const gone, kept = "read-token-0123456789abcdef", "other-token-0123456789abcdef"
	parse := func(text string) *rights.Tokens {
		toks, err := rights.ParseTokens("tokens", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return toks
	}
	var mu sync.Mutex
	cur := parse("read " + gone + " monitoring\nread " + kept + " dash\n")
	store, err := rights.OpenStoreFunc("tokens", func(string) (*rights.Tokens, error) {
		mu.Lock()
		defer mu.Unlock()
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &fakeLogs{lines: map[string][]string{"a": {"one"}}, follows: map[string][]chan string{}}
	r := newRig(t, Options{Tokens: store, Logs: logs, Reader: (&readerRule{}).read, AuthDelay: time.Millisecond})
	r.ok("service a cmd=sleep 100")
	withdrawn, other := r.streamAs(t, "/api/events", gone), r.streamAs(t, "/api/events", kept)
	follow := r.streamAs(t, "/api/services/a/log/follow?n=1", gone)
	withdrawn.next("snapshot")
	other.next("snapshot")
	follow.next("lines")

	mu.Lock()
	cur = parse("read " + kept + " dash\n")
	mu.Unlock()
	if _, err := store.Reload(); err != nil {
		t.Fatal(err)
	}
	r.ok("command start service a")
	logs.write("a", "two")

	const why = "token monitoring is no longer in the token file: rights withdrawn"
	for _, c := range []struct {
		s    *stream
		name string
	}{{withdrawn, "cutoff"}, {follow, "end"}} {
		var got struct{ Reason string }
		json.Unmarshal([]byte(c.s.next(c.name).data), &got)
		if got.Reason != why {
			t.Errorf("%s: reason %q, want %q", c.name, got.Reason, why)
		}
		c.s.ended()
	}
	other.next("transition") // the other token reads on
}

// ended waits for the stream to end (cfkd closed it).
func (s *stream) ended() {
	s.t.Helper()
	timeout := time.After(deadline)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			s.t.Logf("after its end: %s %s", ev.name, ev.data)
		case <-timeout:
			s.t.Fatalf("the stream still open after %v", deadline)
		}
	}
}
