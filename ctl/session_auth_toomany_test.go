package ctl

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// An `auth` answered `too many connections` (a TCP console refusing a
// connection at connect, or the auth of a read or operate token past its
// peer's share, REFERENCE §5.4) is that refusal, not a token refused:
// cfkctl said `cfkd refused the token of FILE: too many connections`,
// sending the user to a token that was fine.
func TestAuthTooManyIsNoBadToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("ERROR: too many connections\r\n"))
	}()
	s := newSession(&options{address: ln.Addr().String(), timeout: 5 * time.Second}, &env{})
	if err := s.connect(); err != nil {
		t.Fatal(err)
	}
	s.opts.tokenFile = "/some/token" // what the message named
	err = s.auth("a-token-0123456789abcdef")
	var refused *protocol.RemoteError
	if !errors.As(err, &refused) || refused.Msg != "too many connections" || strings.Contains(err.Error(), "token") {
		t.Fatalf("%v, want the refusal as it is", err)
	}
}
