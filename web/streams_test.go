package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStreamsBounded: the streams open at once are bounded (the GETs need
// no token: anyone who reaches the listener could open thousands, each
// with its queue, each woken by every change); one more is answered 503
// at once, and a stream that ends gives its slot back.
func TestStreamsBounded(t *testing.T) {
	r := newRig(t, Options{Streams: 2})
	r.ok("service a cmd=sleep 100")
	first := r.stream(t, "/api/events")
	first.next("snapshot")
	r.stream(t, "/api/events").next("snapshot")
	body := r.expect("GET", "/api/events", "", http.StatusServiceUnavailable)
	if !strings.Contains(body, "too many streams open (2)") {
		t.Errorf("GET /api/events over the bound: %s", body)
	}
	first.cancel()
	end := time.Now().Add(deadline)
	for {
		code := r.tryStream("/api/events")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the slot of a closed stream never came back: %d", code)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tryStream opens a stream, and closes it once its status is known.
func (r *rig) tryStream(path string) int {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", r.http.URL+path, nil)
	res, err := r.http.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
