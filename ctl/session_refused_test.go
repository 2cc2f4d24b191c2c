package ctl

import (
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// A cfkd that refuses a connection (`too many connections`, REFERENCE
// §5.4) writes its reason and closes before it reads a line: a stream's
// request (`cfkctl events`, `tail -f`) whose write then found the
// connection closed said `broken pipe`, not the reason (a plain request
// already read it).
func TestRefusalBeforeTheRequestIsTheError(t *testing.T) {
	for _, stream := range []bool{false, true} {
		sock := filepath.Join(t.TempDir(), "s")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("ERROR: too many connections\r\n"))
			c.Close()
		}()
		s := newSession(&options{address: "unix:" + sock, timeout: 5 * time.Second}, &env{})
		if err := s.connect(); err != nil {
			t.Fatal(err)
		}
		// the refusal has come and the connection is closed before the
		// request is written: the write fails with EPIPE
		s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := s.r.Peek(1); err != nil {
			t.Fatal(err)
		}
		<-closed
		ln.Close()
		var got error
		if stream {
			got = s.open("command events all")
		} else {
			rep, err := s.request("command events all")
			got = err
			if err == nil {
				got = rep.Err
			}
		}
		var refused *protocol.RemoteError
		if !errors.As(got, &refused) || refused.Msg != "too many connections" {
			t.Errorf("stream %v: %v, want the refusal", stream, got)
		}
		if !stream {
			s.conn.Close()
		}
	}
}
