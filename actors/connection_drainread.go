package actors

// What a connection reads once its drain began (REFERENCE §1.5): the
// requests its client sent before, that the reader had not read yet, are
// read and answered as the drain answers those queued; nothing sent
// later is waited for.

import (
	"errors"
	"io"
	"net"

	"github.com/cfk/cfk/internal/nowait"
)

// drainReadMax bounds what a connection reads once its drain began: what
// a client sent before it, not a flood that goes on.
const drainReadMax = 64 << 10

// drainReader is what the reader of a connection reads through. Until the
// drain, it reads the connection. The drain's read deadline then wakes
// the reader: from there it gives what has arrived already, read without
// waiting, up to drainReadMax bytes, then the end of input. Those bytes
// were in the kernel's queue when the drain began (or came while the
// reader took them): a request written behind `command shutdown` was
// dropped unread when the drain's deadline beat the reader to it, and its
// client, a stream's, got the close without a line, as if cfkd was lost.
type drainReader struct {
	io   *connIO
	left int // what it may still read once the drain began
}

func newDrainReader(c *connIO) *drainReader { return &drainReader{io: c, left: drainReadMax} }

func (d *drainReader) Read(p []byte) (int, error) {
	if !d.io.isDraining() {
		n, err := d.io.conn.Read(p)
		if n > 0 || err == nil || !d.io.isDraining() {
			return n, err
		}
	}
	if d.left <= 0 {
		return 0, errDrainEnd
	}
	if len(p) > d.left {
		p = p[:d.left]
	}
	n, eof := readArrived(d.io.conn, p)
	if n <= 0 {
		if eof {
			return 0, io.EOF // the client's end: its last line, if any, is one
		}
		return 0, errDrainEnd
	}
	d.left -= n
	return n, nil
}

// errDrainEnd ends what a drained connection reads where its client's
// input goes on (nothing more has arrived, or drainReadMax is reached): a
// line cut there is no request, and is dropped, where the end of input
// made it one, answered as a request its client never sent.
var errDrainEnd = errors.New("the connection drains: nothing more is read")

// isDraining says whether the connection's drain began.
func (c *connIO) isDraining() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining
}

// readArrived reads into p what has arrived on c, without waiting
// (nowait.Read), and says whether it met the end of input. The read
// deadline does not stop it, as it stops c.Read.
func readArrived(c net.Conn, p []byte) (int, bool) {
	if g, ok := c.(*guardedConn); ok {
		c = g.Conn
	}
	return nowait.Read(c, p)
}
