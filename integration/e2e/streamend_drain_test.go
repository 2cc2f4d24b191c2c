package e2e

import (
	"net"
	"testing"
)

// TestStreamAskedBehindTheShutdown: `command events` written behind
// `command shutdown` on one connection reaches cfkd as its drain begins
// (at the controller, or queued behind the shutdown): the stream ends with
// the end line of a shutdown, as one asked before the shutdown does
// (REFERENCE §1.5). Its OK came after the drain had ended the
// connection's reader, which the stream took for its client's end: it
// ended with no line (9 times in 12 with the binaries), which cfkctl says
// is a lost cfkd. Both lines go in one write: a line written later may
// come after cfkd closed the connection, which no cfkd can answer; one
// that arrived before the drain and was not read yet is
// TestDrainAnswersWhatArrivedUnread's (package actors). Three cfkds, one
// after the other.
func TestStreamAskedBehindTheShutdown(t *testing.T) {
	t.Parallel()
	for i := 0; i < 3; i++ {
		d := startDaemon(t, "")
		c, err := net.Dial("unix", d.sock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte("command shutdown\r\ncommand events\r\n")); err != nil {
			t.Fatal(err)
		}
		raw := newStream(t, c)
		l := raw.waitEnd()
		if len(l) < 3 || l[0] != "done 0" || l[1] != "OK\r" || l[len(l)-1] != shutdownEnd {
			t.Fatalf("run %d: shutdown then events on one connection: %q; want done 0, OK, then the end line %q", i, l, shutdownEnd)
		}
		if err := d.waitExit(); err != nil {
			t.Errorf("cfkd: %v", err)
		}
	}
}
