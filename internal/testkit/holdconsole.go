package testkit

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/cfk/cfk/protocol"
)

// HoldConsolePlaces is the side of a user, run as another uid (StartAs),
// that holds places of an admin console (REFERENCE §5.4): it opens ok
// connections to network addr, each of which must be answered OK to
// `auth TOKEN` (to `command version` when token is ""), then one more that
// must be answered `ERROR: too many connections` and closed. It says
// "held" (RunAsOutput) and keeps the others until its stdin closes; what
// went wrong otherwise. Each line read from stdin meanwhile is answered
// "refused" once one more connection was refused again (a refusal is
// logged once a second at most: its caller asks until it is).
func HoldConsolePlaces(network, addr, token string, ok int) {
	line := "command version"
	if token != "" {
		line = "auth " + token
	}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	// one connection more: held (refused false), or refused and closed
	open := func(k int, refused bool) bool {
		c, err := net.Dial(network, addr)
		if err != nil {
			RunAsOutput("dial: " + err.Error())
			return false
		}
		held = append(held, c)
		r := bufio.NewReader(c)
		want := "OK"
		if refused {
			want = "ERROR: too many connections"
		}
		if got := askConsole(c, r, line); got != want {
			RunAsOutput(fmt.Sprintf("connection %d: %q, want %q", k+1, got, want))
			return false
		}
		if refused {
			if _, err := r.ReadByte(); err == nil {
				RunAsOutput("the connection refused is still open")
				return false
			}
		}
		return true
	}
	for k := range ok + 1 {
		if !open(k, k == ok) {
			return
		}
	}
	RunAsOutput("held")
	for in := bufio.NewScanner(os.Stdin); in.Scan(); {
		if !open(ok, true) {
			io.Copy(io.Discard, os.Stdin)
			return
		}
		RunAsOutput("refused")
	}
}

// askConsole sends line and returns its reply ("OK" or the ERROR line),
// or the read's error.
func askConsole(c net.Conn, r *bufio.Reader, line string) string {
	c.SetDeadline(time.Now().Add(20 * time.Second))
	protocol.WriteRequest(c, line) // a connection refused at connect may be closed already: read its line anyway
	rep, err := protocol.ReadReply(r)
	switch {
	case err != nil:
		return err.Error()
	case rep.Err != nil:
		return "ERROR: " + rep.Err.Error()
	}
	return "OK"
}
