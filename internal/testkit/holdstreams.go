package testkit

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// HoldHTTPStreams is the side of a user, run as another uid (StartAs),
// that holds every HTTP stream one peer may (REFERENCE §10.1): it opens
// share streams of path (GET, text/event-stream) at addr, with token
// (Authorization: Bearer; none when empty), each answered
// 200 with a first event, and one more that must be answered 503 with
// `too many streams open from uid UID (SHARE open`. It then writes
// "held" (RunAsOutput) and reads its stdin, a line at a time: `reopen K`
// closes K of its streams, opens K again (each must be let in), checks
// that one more is refused again, and writes "reopened". At the end of
// its stdin it closes them all. Whatever goes wrong is written instead of
// "held" or "reopened", and it returns.
func HoldHTTPStreams(addr, path, token string, share, uid int) {
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	fill := func() error {
		for len(held) < share {
			c, err := OpenHTTPStream(addr, path, token)
			if err != nil {
				return fmt.Errorf("stream %d: %v", len(held)+1, err)
			}
			held = append(held, c)
		}
		want := fmt.Sprintf("too many streams open from uid %d (%d open", uid, share)
		c, err := OpenHTTPStream(addr, path, token)
		if err == nil {
			c.Close()
			return fmt.Errorf("stream %d: let in, want 503 %q", share+1, want)
		}
		if got := err.Error(); !strings.HasPrefix(got, "503 ") || !strings.Contains(got, want) {
			return fmt.Errorf("stream %d: %s, want 503 %q", share+1, got, want)
		}
		return nil
	}
	if err := fill(); err != nil {
		RunAsOutput(err.Error())
		return
	}
	RunAsOutput("held")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		k, err := strconv.Atoi(strings.TrimPrefix(in.Text(), "reopen "))
		if err != nil || k > len(held) {
			RunAsOutput("bad line " + strconv.Quote(in.Text()))
			return
		}
		for _, c := range held[:k] {
			c.Close()
		}
		held = held[k:]
		// a slot comes back once cfkd has seen its stream end: the
		// refusals until then are not the test's
		end := time.Now().Add(10 * time.Second)
		for len(held) < share {
			c, err := OpenHTTPStream(addr, path, token)
			if err != nil {
				if time.Now().Before(end) && strings.Contains(err.Error(), "503") {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				RunAsOutput(fmt.Sprintf("reopening stream %d: %v", len(held)+1, err))
				return
			}
			held = append(held, c)
		}
		if err := fill(); err != nil {
			RunAsOutput(err.Error())
			return
		}
		RunAsOutput("reopened")
	}
}

// OpenHTTPStream opens a stream of path at addr (GET, text/event-stream;
// with token, when not empty) and reads its response's head and its first event (its data line):
// the connection is returned then, with no deadline, the rest of the
// stream unread. An error says what came instead (a 503: its status and
// body).
func OpenHTTPStream(addr, path, token string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + bearer(token) + "\r\n")); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		c.Close()
		return nil, fmt.Errorf("%s %s", resp.Status, bytes.TrimSpace(body))
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("no first event: %v", err)
		}
		if strings.HasPrefix(line, "data: ") {
			break
		}
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// bearer is the header line of token, none when it is empty.
func bearer(token string) string {
	if token == "" {
		return ""
	}
	return "Authorization: Bearer " + token + "\r\n"
}
