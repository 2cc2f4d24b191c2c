package ctl

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// A stream whose line never ends (an address that is not cfkd's: a
// service that writes without line breaks) fails once the line is past
// protocol.MaxReplyLine: read whole, it grew cfkctl's memory by hundreds
// of MiB a second until it was killed, and cfkctl never returned.
func TestStreamLineWithoutEndIsBounded(t *testing.T) {
	dir, err := os.MkdirTemp("", "cfkctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 4)
	served := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-served
		close(conns)
		for c := range conns {
			c.Close()
		}
	})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns <- c
		if _, err := protocol.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		// 4 times the bound at most, then silence: the connection is
		// held open (until the cleanup)
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for n := 0; n < 4*protocol.MaxReplyLine; n += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	done := make(chan result, 1)
	go func() {
		done <- runCtl(t, &fakeServer{addr: path}, runCfg{}, "events")
	}()
	select {
	case r := <-done:
		if r.code != 1 || !strings.Contains(r.stderr, protocol.ErrReplyLineTooLong.Error()) {
			t.Fatalf("cfkctl events: code %d, stderr %q; want 1 and %q", r.code, r.stderr, protocol.ErrReplyLineTooLong)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cfkctl events did not return within 20s of a line that never ends")
	}
}
