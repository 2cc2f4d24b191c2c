package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// HoldHTTPPlaces is the side of a user, run as another uid, that holds
// every HTTP place one peer may (REFERENCE §10.1): it opens n
// connections to addr, each with a GET of path whose head has not ended
// (a client that keeps sending); the first share are held, each of the
// others must be answered 503 at once with `too many connections from
// uid UID (SHARE open`, and is closed. It returns the connections held,
// or what went wrong (the connections are closed then).
func HoldHTTPPlaces(addr, path string, n, share, uid int) ([]net.Conn, error) {
	var held []net.Conn
	fail := func(err error) ([]net.Conn, error) {
		for _, c := range held {
			c.Close()
		}
		return nil, err
	}
	for k := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fail(fmt.Errorf("dial %d: %v", k+1, err))
		}
		c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nX-Trickle: a"))
		if k < share {
			held = append(held, c)
			continue
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			return fail(fmt.Errorf("connection %d: %v, want a 503", k+1, err))
		}
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		if want := fmt.Sprintf("too many connections from uid %d (%d open", uid, share); resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(want)) {
			return fail(fmt.Errorf("connection %d: %s %s, want 503 %q", k+1, resp.Status, body, want))
		}
	}
	return held, nil
}
