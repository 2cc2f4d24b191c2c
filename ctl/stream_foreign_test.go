package ctl

import (
	"bufio"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A stream asked of an address that is no cfkd's (a web server, cfkd's own
// --http port given to -a) gets an answer whose first line ends in "\r\n"
// and is no refusal, end nor lost line: cfkctl says that a line no cfkd
// sends came and asks whether the address is cfkd's, printing nothing of
// the answer, where it printed the HTTP header lines as events (as the
// lines of a tail -f), then "cfkd closed the connection". A peer that
// keeps the connection open after its line (a server that waits for
// more) is left at once. A JSON line ending in "\r\n" of a kind cfkctl
// does not know (a newer cfkd's) is still printed as it is.
func TestStreamFromAForeignPeerIsSaid(t *testing.T) {
	const http = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"
	f := newFakeServer(t, map[string]string{
		"command events all":           http,
		"command tail web1 20 follow":  http,
		"command events service open":  "SSH-2.0-OpenSSH_9.6\r\n", // the connection stays open
		"command fleet events":         http,
		"command events service newer": streamOf(evCrash) + `{"kind":"pause","reason":"later"}` + "\r\n" + shutEnd,
		"command tail later 20 follow": "one\nHTTP/1.1 200 OK\r\ntwo\n",
	})
	for req := range f.replies {
		f.close[req] = true
	}
	said := func(what, line string) string {
		return "cfkctl: " + what + ": a line no cfkd sends came (\"" + line + "\"): is '" + f.addr + "' cfkd's admin socket?\n"
	}
	for _, tc := range []struct {
		args        []string
		code        int
		out, stderr string
	}{
		{[]string{"events"}, ExitError, "", said("reading from cfkd", "HTTP/1.1 400 Bad Request")},
		{[]string{"tail", "-f", "web1"}, ExitError, "", said("reading from cfkd", "HTTP/1.1 400 Bad Request")},
		{[]string{"fleet", "events"}, ExitError, "", said("reading from cfkd", "HTTP/1.1 400 Bad Request")},
		{[]string{"events", "newer"}, ExitOK, "16:04:05 web1 running → fail (Exited with error 1)\n" + `{"kind":"pause","reason":"later"}` + "\n", ""},
		{[]string{"tail", "-f", "later"}, ExitError, "one\n", said("reading from cfkd", "HTTP/1.1 200 OK")},
	} {
		r := runCtl(t, f, runCfg{}, tc.args...)
		if r.code != tc.code || r.stdout != tc.out || r.stderr != tc.stderr {
			t.Errorf("%s: got %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.code, tc.out, tc.stderr)
		}
	}
}

// A peer that is no cfkd and keeps the connection open after its first
// line (a server waiting for its client's turn) is left at once: cfkctl
// closes the connection, where it waited on it for ever. The peer closes
// it itself after 10 s, so that a cfkctl that waits ends.
func TestStreamFromAForeignPeerThatWaitsIsLeft(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	left := make(chan bool, 1) // whether cfkctl closed the connection first
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			left <- false
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		if _, err := r.ReadString('\n'); err != nil {
			left <- false
			return
		}
		conn.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.Copy(io.Discard, r)
		left <- err == nil // the end of cfkctl's side, not the deadline
	}()
	r := runCtl(t, nil, runCfg{env: map[string]string{"CFKCTL_ADDRESS": path}}, "events")
	want := "cfkctl: reading from cfkd: a line no cfkd sends came (\"SSH-2.0-OpenSSH_9.6\"): is '" + path + "' cfkd's admin socket?\n"
	if r.code != ExitError || r.stdout != "" || r.stderr != want {
		t.Errorf("got %+v, want stderr %q", r, want)
	}
	if !<-left {
		t.Errorf("cfkctl did not leave the connection: the peer closed it")
	}
}
