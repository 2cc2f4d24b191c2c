package ctl

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// TestStreamWhoseAuthTheDrainAnswers: on a TCP console with tokens the
// `auth` comes first, so a stream that connects as cfkd drains its
// console (REFERENCE §1.5, §13.3) has its auth answered by the drain. A
// shutdown's answer ends `cfkctl events` as a shutdown ends it, exit 0
// (as on a UNIX socket, where the answer is its request's); an upgrade's
// sends it again, saying so as for a request the upgrade left unread
// (here to a cfkd that then shuts down). It said `cfkd
// refused the token of FILE: cfkd is shutting down`, exit 1, blaming a
// token that was fine. A request's client gets the answer as it is.
func TestStreamWhoseAuthTheDrainAnswers(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef"
	file := writeToken(t, tok+"\n")
	for _, tc := range []struct {
		name    string
		answers []string // to the auth of each connection in turn
		args    []string
		code    int
		stderr  string
	}{
		{"events at a shutdown", []string{"ERROR: " + messages.ShutdownReason}, []string{"events"}, 0, ""},
		{"events at an upgrade", []string{"ERROR: " + messages.UpgradeRetry, "OK"}, []string{"events"}, 0,
			"cfkctl: events: cfkd is being upgraded in place: following again (what happens meanwhile is not shown)\n"},
		{"status at a shutdown", []string{"ERROR: " + messages.ShutdownReason}, []string{"status"}, ExitError, messages.ShutdownReason + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			served := make(chan struct{})
			go func() {
				defer close(served)
				for _, answer := range tc.answers {
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					conn.SetDeadline(time.Now().Add(20 * time.Second))
					r := bufio.NewReader(conn)
					if l, err := protocol.ReadRequest(r); err != nil || l != "auth "+tok {
						conn.Close()
						return
					}
					conn.Write([]byte(answer + "\r\n"))
					if answer == "OK" {
						if l, err := protocol.ReadRequest(r); err == nil && l == "command events all" {
							conn.Write([]byte(shutEnd))
						}
					}
					conn.Close()
				}
			}()
			done := make(chan result, 1)
			go func() {
				done <- runTTY(t, &fakeServer{addr: ln.Addr().String()}, false, nil,
					append([]string{"--timeout", "10s", "--token-file", file}, tc.args...)...)
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("cfkctl did not return")
			}
			ln.Close()
			<-served
			if r.code != tc.code || r.stderr != tc.stderr || strings.Contains(r.stderr, "token") {
				t.Errorf("cfkctl %v: exit %d, stderr %q; want exit %d, stderr %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
			}
		})
	}
}
