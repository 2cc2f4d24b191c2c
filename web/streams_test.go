package web

import (
	"bufio"
	"context"
	"io"
	"net"
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

// quietLogs is a LogSource whose services never write.
type quietLogs struct{}

func (quietLogs) Last(string, int) ([]string, error) { return nil, nil }
func (quietLogs) Follow(string) (<-chan string, func(), func() string, error) {
	return make(chan string), func() {}, func() string { return "" }, nil
}

// A client that sends more than its request (a pipelined request, or
// junk: past what net/http's first read takes) and then hangs up: the
// stream must end and give its slot back, although cfkd has nothing to
// send it. net/http's own watch of the connection stops at the first
// byte it reads after a request, and the stream kept its slot (and its
// socket) as long as nothing happened: 256 such clients, and neither the
// page nor a log panel could open one.
func TestStreamOfAClientThatHangsUpAfterMoreBytes(t *testing.T) {
	for _, path := range []string{"/api/events", "/api/services/a/log/follow"} {
		t.Run(path, func(t *testing.T) {
			r := newRig(t, Options{Streams: 1, Logs: quietLogs{}})
			r.ok("service a cmd=sleep 100")
			c, err := net.Dial("tcp", strings.TrimPrefix(r.http.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			req := "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n" + strings.Repeat("x", 16<<10)
			if _, err := c.Write([]byte(req)); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(deadline))
			br := bufio.NewReader(c)
			head, err := br.ReadString('\n')
			if err != nil || !strings.Contains(head, " 200 ") {
				t.Fatalf("status line %q, %v", head, err)
			}
			for { // to the first event's end
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("no first event: %v", err)
				}
				if strings.HasPrefix(line, "data: ") {
					break
				}
			}
			c.Close()
			end := time.Now().Add(deadline)
			for {
				code := r.tryStream(path)
				if code == http.StatusOK {
					break
				}
				if time.Now().After(end) {
					t.Fatalf("the slot of a stream whose client hung up never came back: %d", code)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

// A stream's client that keeps sending after its request (a page sends
// nothing) has its stream ended past maxStreamInput: cfkd does not read
// on for it.
func TestStreamOfAClientThatKeepsSendingEnds(t *testing.T) {
	r := newRig(t, Options{Streams: 1, Logs: quietLogs{}})
	c, err := net.Dial("tcp", strings.TrimPrefix(r.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { // cfkd's side: the stream, up to its end
		_, err := io.Copy(io.Discard, c)
		ended <- err
	}()
	junk := make([]byte, 4096)
	end := time.Now().Add(deadline)
	for sent := 0; ; sent += len(junk) {
		c.SetWriteDeadline(end)
		if _, err := c.Write(junk); err != nil {
			break // cfkd closed the stream: writes fail once it is gone
		}
		if time.Now().After(end) {
			t.Fatalf("still reading after %d bytes sent", sent)
		}
		select {
		case <-ended:
			return
		default:
		}
	}
	select {
	case <-ended:
	case <-time.After(deadline):
		t.Fatal("the stream did not end")
	}
}
