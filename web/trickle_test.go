package web

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A client that trickles its request is cut off at ReadTimeout: its head
// (the connection closed), or its body (a 408, then the end): net/http
// read a body the handler left with no deadline before it answered, so
// a POST whose body came a byte at a time held its place for as long as
// its client liked. A body past 64 KiB is a 413 (REFERENCE §10.1).
func TestTricklerIsCutOff(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	srv := New(Options{OpenRead: true, Source: newBigSource(1), Log: quietLog(), ReadTimeout: timeout})
	addr, _ := serveCounting(t, srv)
	trickle := func(t *testing.T, head string) (*bufio.Reader, chan struct{}) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop); c.Close() })
		c.SetDeadline(time.Now().Add(deadline))
		c.Write([]byte(head))
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
					if _, err := c.Write([]byte("a")); err != nil {
						return
					}
				}
			}
		}()
		return bufio.NewReader(c), stop
	}
	t.Run("head", func(t *testing.T) {
		r, _ := trickle(t, "GET /api/services HTTP/1.1\r\nHost: localhost\r\nX-Trickle: ")
		start := time.Now()
		if _, err := io.ReadAll(r); err != nil && !isReset(err) {
			t.Fatalf("the trickled head: %v, want the connection closed", err)
		}
		if d := time.Since(start); d > deadline/2 {
			t.Fatalf("closed after %v, ReadTimeout %v", d, timeout)
		}
	})
	t.Run("body", func(t *testing.T) {
		r, _ := trickle(t, "POST /api/services/s00000/start HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n")
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("the trickled body: %v, want a 408", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
			t.Fatalf("the trickled body: %s (close %v), want 408 and the connection closed", resp.Status, resp.Close)
		}
		if !forbidsFraming(resp.Header) {
			t.Errorf("the 408 does not forbid framing: %v", resp.Header)
		}
	})
	t.Run("big body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(deadline))
		go func() {
			c.Write([]byte("POST /api/services/s00000/start HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"))
			c.Write(make([]byte, 100000))
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("a body of 100000 bytes: %s, want 413", resp.Status)
		}
		if !forbidsFraming(resp.Header) {
			t.Errorf("the 413 does not forbid framing: %v", resp.Header)
		}
	})
}

// forbidsFraming reports whether an answer's headers forbid framing it,
// as every answer's do (REFERENCE §10.1).
func forbidsFraming(h http.Header) bool {
	return h.Get("X-Frame-Options") == "DENY" && strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
