package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data string
}

// stream reads a server-sent events stream in a goroutine.
type stream struct {
	t      *testing.T
	events chan sseEvent
	cancel func()
}

func (r *rig) stream(t *testing.T, path string) *stream {
	t.Helper()
	return r.streamAs(t, path, "")
}

// streamAs is stream with Authorization: Bearer token (none when empty).
func (r *rig) streamAs(t *testing.T, path, token string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", r.http.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := r.http.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &stream{t: t, events: make(chan sseEvent, 1024), cancel: cancel}
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		br := bufio.NewReader(res.Body)
		var ev sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	t.Cleanup(cancel)
	return s
}

// next returns the next event named name (skipping the others).
func (s *stream) next(name string) sseEvent {
	s.t.Helper()
	timeout := time.After(deadline)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatalf("the stream ended while waiting for %s", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			s.t.Fatalf("no %s event after %v", name, deadline)
		}
	}
}

// updateUntil reads update events until one holds a record of name that
// satisfies cond.
func (s *stream) updateUntil(name string, cond func(messages.ServiceInfo) bool) messages.ServiceInfo {
	s.t.Helper()
	for {
		var u struct{ Services []json.RawMessage }
		if err := json.Unmarshal([]byte(s.next("update").data), &u); err != nil {
			s.t.Fatal(err)
		}
		for _, raw := range u.Services {
			i, err := messages.ParseServiceInfo(string(raw))
			if err != nil {
				s.t.Fatal(err)
			}
			if i.Name == name && cond(i) {
				return i
			}
		}
	}
}

// The token rule, from the side of a client: without --http-token every
// POST is 403; with it, 403 without the header, 401 with a wrong token,
// and the action with the right one. GETs need no token.
func TestTokenRule(t *testing.T) {
	t.Run("no token configured", func(t *testing.T) {
		r := newRig(t, Options{})
		r.ok("service a cmd=sleep 100")
		for _, verb := range []string{"start", "stop", "restart"} {
			r.expect("POST", "/api/services/a/"+verb, "", http.StatusForbidden)
			r.expect("POST", "/api/services/a/"+verb, "anything", http.StatusForbidden)
		}
		r.expect("GET", "/api/auth", "anything", http.StatusForbidden)
		if st := r.info("a").State; st != messages.Stopped {
			t.Errorf("a refused start started it: %v", st)
		}
		var cfg map[string]any
		json.Unmarshal([]byte(r.expect("GET", "/api/config", "", http.StatusOK)), &cfg)
		if cfg["token"] != false {
			t.Errorf("config %v", cfg)
		}
	})
	t.Run("token configured", func(t *testing.T) {
		// the delay of a wrong token's 401 is bearer_test's: not waited here
		r := newRig(t, Options{Token: "s3cret-token", AuthDelay: time.Millisecond})
		r.ok("service a cmd=sleep 100", "service a startwait_secs=0.01")
		r.expect("POST", "/api/services/a/start", "", http.StatusForbidden)
		res, body := r.do("POST", "/api/services/a/start", "wrong")
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "wrong token") ||
			!strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("wrong token: %d %s %v", res.StatusCode, body, res.Header)
		}
		r.expect("POST", "/api/services/a/start", "s3cret-token-and-more", http.StatusUnauthorized)
		r.expect("GET", "/api/auth", "", http.StatusForbidden)
		r.expect("GET", "/api/auth", "wrong", http.StatusUnauthorized)
		r.expect("GET", "/api/auth", "s3cret-token", http.StatusNoContent)
		if st := r.info("a").State; st != messages.Stopped {
			t.Fatalf("a refused start started it: %v", st)
		}

		// the right token: the verbs, answered once the controller has
		body = r.expect("POST", "/api/services/a/start", "s3cret-token", http.StatusOK)
		if !strings.Contains(body, `"ok":true`) || !strings.Contains(body, "done 1") {
			t.Errorf("start: %s", body)
		}
		pid := r.until("a", "running", func(i messages.ServiceInfo) bool { return i.State == messages.Running }).Pid
		r.expect("POST", "/api/services/a/restart", "s3cret-token", http.StatusOK)
		if i := r.info("a"); i.Pid == pid || !i.State.IsUp() {
			t.Errorf("after restart: %+v (pid before %d)", i, pid)
		}
		body = r.expect("POST", "/api/services/a/start", "s3cret-token", http.StatusConflict)
		if !strings.Contains(body, "Service 'a' is already up") {
			t.Errorf("start of an up service: %s", body)
		}
		r.expect("POST", "/api/services/a/stop", "s3cret-token", http.StatusOK)
		r.until("a", "stopped", func(i messages.ServiceInfo) bool { return i.State == messages.Stopped })
		r.expect("POST", "/api/services/nope/start", "s3cret-token", http.StatusNotFound)
		r.expect("POST", "/api/services/a/destroy", "s3cret-token", http.StatusNotFound)
		r.expect("GET", "/api/services/a/start", "s3cret-token", http.StatusMethodNotAllowed)
	})
	t.Run("token file with levels", func(t *testing.T) {
		toks, err := rights.ParseTokens("tokens", strings.NewReader(
			"read reader-token-0123456789 viewer\noperate operator-token-0123456789 ops\n"))
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, Options{Tokens: rights.StoreOf(toks), AuthDelay: time.Millisecond})
		r.ok("service a cmd=sleep 100", "service a startwait_secs=0.01")
		body := r.expect("POST", "/api/services/a/start", "reader-token-0123456789", http.StatusForbidden)
		if !strings.Contains(body, "this token is read") {
			t.Errorf("a read token: %s", body)
		}
		r.expect("POST", "/api/services/a/start", "no-such-token-0123456789", http.StatusUnauthorized)
		r.expect("POST", "/api/services/a/start", "operator-token-0123456789", http.StatusOK)
	})
}

// GET /api/services: the inspect records, in name order; one by name.
func TestServicesJSON(t *testing.T) {
	r := newRig(t, Options{})
	r.ok("service b cmd=sleep 100", "service b tags=x", "service a cmd=sleep 100")
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(r.expect("GET", "/api/services", "", http.StatusOK)), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, raw := range list {
		i, err := messages.ParseServiceInfo(string(raw))
		if err != nil {
			t.Fatal(err)
		}
		if want := r.info(i.Name).Format(); want != string(raw) {
			t.Errorf("%s, inspect says %s", raw, want)
		}
		names = append(names, i.Name)
	}
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("names %v", names)
	}
	if got := strings.TrimSpace(r.expect("GET", "/api/services/b", "", http.StatusOK)); got != r.info("b").Format() {
		t.Errorf("b: %s", got)
	}
	r.expect("GET", "/api/services/nope", "", http.StatusNotFound)
	// the page and its files
	if body := r.expect("GET", "/", "", http.StatusOK); !strings.Contains(body, "/static/app.js") {
		t.Errorf("page: %.200s", body)
	}
	r.expect("GET", "/static/app.js", "", http.StatusOK)
	r.expect("GET", "/static/style.css", "", http.StatusOK)
	r.expect("GET", "/nope", "", http.StatusNotFound)
}

// The event stream: a snapshot first, then each change as a transition
// and an update with the record read afresh (restarts, pid); a service
// destroyed is removed.
func TestEventStream(t *testing.T) {
	r := newRig(t, Options{})
	r.ok("service a cmd=sleep 100", "service a startwait_secs=0.01", "service b cmd=sleep 100")
	s := r.stream(t, "/api/events")
	var snap struct {
		Services []json.RawMessage
		Proxies  []proxyJSON
	}
	if err := json.Unmarshal([]byte(s.next("snapshot").data), &snap); err != nil || len(snap.Services) != 2 {
		t.Fatalf("snapshot: %v %+v", err, snap)
	}
	pid := r.running("a")
	got := s.updateUntil("a", func(i messages.ServiceInfo) bool { return i.State == messages.Running })
	if got.Pid != pid {
		t.Errorf("update %+v, pid %d", got, pid)
	}

	// a crash: the fail transition, then the record of the new process
	r.fake.end(pid, syscall.WaitStatus(syscall.SIGKILL))
	for {
		var tr transition
		json.Unmarshal([]byte(s.next("transition").data), &tr)
		if tr.Service == "a" && tr.To == "fail" {
			if tr.From != "running" || tr.Pid != pid || tr.Reason != "Received signal 9" {
				t.Errorf("fail transition %+v", tr)
			}
			break
		}
	}
	got = s.updateUntil("a", func(i messages.ServiceInfo) bool { return i.State == messages.Running && i.Pid != pid })
	if got.Restarts != 1 {
		t.Errorf("after the crash: %+v", got)
	}

	r.ok("command destroy service a")
	for {
		var u struct{ Removed []string }
		json.Unmarshal([]byte(s.next("update").data), &u)
		if slices.Equal(u.Removed, []string{"a"}) {
			break
		}
	}
}

// A destroyed service's removal is a change of its own, published once
// the controller has forgotten it: the page learns of it even when it
// read the records after the last transition but before the removal (the
// race this test pins down by hiding the transitions).
func TestEventStreamRemoval(t *testing.T) {
	src := &goneOnly{} // its Events once the tree runs, before a page joins
	r := newRig(t, Options{Events: src})
	src.Events = EventStreamEvents{Stream: r.tree.System.EventStream}
	r.ok("service a cmd=sleep 100", "service b cmd=sleep 100")
	s := r.stream(t, "/api/events")
	s.next("snapshot")
	r.ok("command destroy service a")
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended before the removal")
		}
		if ev.name != "update" || ev.data != `{"services":[],"removed":["a"]}` {
			t.Fatalf("event %s %s, want the update that removes a", ev.name, ev.data)
		}
	case <-time.After(deadline):
		t.Fatalf("no event after %v", deadline)
	}
}

// goneOnly passes on only the removals of its Events.
type goneOnly struct{ Events }

func (g *goneOnly) Subscribe(fn func(Event)) func() {
	return g.Events.Subscribe(func(ev Event) {
		if ev.Gone {
			fn(ev)
		}
	})
}

// A page that does not read is cut off once its queue is full, without
// making the publisher wait; the others go on. The subscription to the
// events lasts only while a page is connected.
func TestHubCutsOffSlowPages(t *testing.T) {
	src := &fakeEvents{}
	h := newHub(src, 4)
	slow, fast := h.join(), h.join()
	if src.subscribed() != 1 {
		t.Fatalf("%d subscriptions for 2 pages", src.subscribed())
	}
	// the publisher never waits: each publish returns at once, whether the
	// page reads (fast) or not (slow)
	for k := range 100 {
		src.publish(Event{Name: "s", To: "running", Pid: k})
		select {
		case <-fast.wake:
			if evs := fast.take(100); len(evs) != 1 || evs[0].Pid != k {
				t.Fatalf("event %d came as %v", k, evs)
			}
		case <-fast.cut:
			t.Fatal("the page that reads was cut off")
		}
	}
	select {
	case <-slow.cut:
	default:
		t.Fatal("the page that does not read was not cut off")
	}
	if n := len(slow.take(100)); n != 4 {
		t.Errorf("the slow page holds %d events, its queue 4", n)
	}
	if h.size() != 1 {
		t.Errorf("%d pages", h.size())
	}
	h.leave(slow) // its handler leaves once it sees the cut
	h.leave(fast)
	if src.subscribed() != 0 {
		t.Errorf("%d subscriptions with no page", src.subscribed())
	}
}

// A stream cut off ends with a cutoff event; the page then reconnects.
func TestStreamCutoff(t *testing.T) {
	src := &fakeEvents{}
	r := newRig(t, Options{Events: src})
	r.ok("service a cmd=sleep 100")
	s := r.stream(t, "/api/events")
	s.next("snapshot")
	// the hub cuts the page off (TestHubCutsOffSlowPages shows when)
	r.web.hub.mu.Lock()
	for sub := range r.web.hub.subs {
		close(sub.cut)
		delete(r.web.hub.subs, sub)
	}
	r.web.hub.mu.Unlock()
	s.next("cutoff")
	select {
	case ev, ok := <-s.events:
		if ok {
			t.Errorf("the stream goes on after its cutoff: %+v", ev)
		}
	case <-time.After(deadline):
		t.Error("the stream did not end after its cutoff")
	}
	waitFor(t, "the page to leave the hub", func() bool { return r.web.hub.size() == 0 && src.subscribed() == 0 })
}

// waitFor waits until cond holds, or fails the test at the deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("waited %v for %s", deadline, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeEvents is an Events a test publishes on by hand.
type fakeEvents struct {
	mu   sync.Mutex
	subs map[int]func(Event)
	next int
}

func (f *fakeEvents) Subscribe(fn func(Event)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[int]func(Event){}
	}
	id := f.next
	f.next++
	f.subs[id] = fn
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

func (f *fakeEvents) subscribed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeEvents) publish(ev Event) {
	f.mu.Lock()
	fns := make([]func(Event), 0, len(f.subs))
	for _, fn := range f.subs {
		fns = append(fns, fn)
	}
	f.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

// The log endpoints without a LogSource: 404, and the config says so.
func TestNoLogSource(t *testing.T) {
	r := newRig(t, Options{})
	r.ok("service a cmd=sleep 100")
	r.expect("GET", "/api/services/a/log", "", http.StatusNotFound)
	r.expect("GET", "/api/services/a/log/follow", "", http.StatusNotFound)
	var cfg map[string]any
	json.Unmarshal([]byte(r.expect("GET", "/api/config", "", http.StatusOK)), &cfg)
	if cfg["logs"] != false || cfg["live"] != true {
		t.Errorf("config %v", cfg)
	}
}

// fakeLogs is a LogSource in memory.
type fakeLogs struct {
	mu      sync.Mutex
	lines   map[string][]string
	follows map[string][]chan string
}

func (f *fakeLogs) Last(name string, n int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lines[name]
	if !ok {
		return nil, fmt.Errorf("%q: %w", name, ErrNotDeclared)
	}
	return l[max(0, len(l)-n):], nil
}

func (f *fakeLogs) Follow(name string) (<-chan string, func(), func() string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.lines[name]; !ok {
		return nil, nil, nil, fmt.Errorf("%q: %w", name, ErrNotDeclared)
	}
	ch := make(chan string, 16)
	f.follows[name] = append(f.follows[name], ch)
	return ch, func() {}, func() string { return "" }, nil
}

func (f *fakeLogs) write(name, line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines[name] = append(f.lines[name], line)
	for _, ch := range f.follows[name] {
		ch <- line
	}
}

func (f *fakeLogs) followers(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.follows[name])
}

// With a LogSource: the last lines, then the new ones, following.
func TestLogEndpoints(t *testing.T) {
	logs := &fakeLogs{lines: map[string][]string{"a": {"one", "two", "three"}}, follows: map[string][]chan string{}}
	r := newRig(t, Options{Logs: logs})
	var got struct{ Lines []string }
	json.Unmarshal([]byte(r.expect("GET", "/api/services/a/log?n=2", "", http.StatusOK)), &got)
	if !slices.Equal(got.Lines, []string{"two", "three"}) {
		t.Errorf("last 2: %q", got.Lines)
	}
	r.expect("GET", "/api/services/nope/log", "", http.StatusNotFound)
	s := r.stream(t, "/api/services/a/log/follow?n=1")
	json.Unmarshal([]byte(s.next("lines").data), &got)
	if !slices.Equal(got.Lines, []string{"three"}) {
		t.Errorf("follow starts with %q", got.Lines)
	}
	if logs.followers("a") != 1 {
		t.Fatalf("%d followers", logs.followers("a"))
	}
	logs.write("a", "four")
	json.Unmarshal([]byte(s.next("lines").data), &got)
	if !slices.Equal(got.Lines, []string{"four"}) {
		t.Errorf("then %q", got.Lines)
	}
}

// On a loopback listener only a Host that is localhost or a loopback
// address is answered (DNS rebinding); every answer forbids framing.
func TestHostCheckAndHeaders(t *testing.T) {
	r := newRig(t, Options{LoopbackOnly: true})
	for host, want := range map[string]int{
		"": http.StatusOK, "localhost:8080": http.StatusOK, "127.0.0.1:9": http.StatusOK, "[::1]:80": http.StatusOK,
		"LOCALHOST": http.StatusOK, "cfk.localhost:80": http.StatusOK,
		"evil.example:8080": http.StatusMisdirectedRequest, "10.0.0.1": http.StatusMisdirectedRequest,
		"127.0.0.1.evil.example": http.StatusMisdirectedRequest,
		// the fully qualified name, its root's dot last, is the same name
		"localhost.:8080": http.StatusOK, "cfk.localhost.": http.StatusOK,
		"localhost..:80": http.StatusMisdirectedRequest, "evil.example.": http.StatusMisdirectedRequest,
		"localhost.evil.example.": http.StatusMisdirectedRequest,
	} {
		req, _ := http.NewRequest("GET", r.http.URL+"/api/config", nil)
		if host != "" {
			req.Host = host
		}
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, res.StatusCode, want)
		}
		if res.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("Host %q: headers %v", host, res.Header)
		}
	}
}

// A request without a Host header (HTTP/1.0 needs none) is told that
// one is missing, not that the Host it did not send was wrong.
func TestNoHostSaysItIsMissing(t *testing.T) {
	r := newRig(t, Options{LoopbackOnly: true})
	c, err := net.Dial("tcp", strings.TrimPrefix(r.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET /api/config HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(string(body), "without a Host header (HTTP/1.0)") {
		t.Errorf("no Host: %s %s", res.Status, body)
	}
}

// A request with two Authorization headers is refused, whichever comes
// first: the first ruled, so a client's wrong token before a proxy's
// read token was 401, and a read token before an operate one was 403,
// each as if the other were not there.
func TestTwoAuthorizationHeadersRefused(t *testing.T) {
	const readToken, operateToken = "read-token-0123456789abcdef", "operate-token-0123456789ab"
	toks, err := rights.ParseTokens("tokens", strings.NewReader("read "+readToken+"\noperate "+operateToken+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Options{Tokens: rights.StoreOf(toks), AuthDelay: time.Millisecond})
	r.ok("service a cmd=sleep 100")
	for _, path := range []string{"/api/services", "/api/services/a/start"} {
		method := "GET"
		if strings.HasSuffix(path, "/start") {
			method = "POST"
		}
		req, _ := http.NewRequest(method, r.http.URL+path, nil)
		req.Header.Add("Authorization", "Bearer "+readToken)
		req.Header.Add("Authorization", "Bearer "+operateToken)
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "2 Authorization headers: send one") {
			t.Errorf("%s %s with two Authorization headers: %s %s", method, path, res.Status, body)
		}
	}
}
