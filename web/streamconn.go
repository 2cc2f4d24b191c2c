package web

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// streamConn is the connection of one stream (REFERENCE §10.1), taken
// from net/http (Hijack) once the stream's checks have passed.
//
// net/http notices that a client hung up only through a background read
// of one byte. When the client sent more bytes after its request (a
// pipelined request, or junk) that read takes one, stops watching, and
// the request's context is never cancelled; a stream with nothing to
// send then kept its slot and its socket for as long as cfkd stayed
// quiet, and 256 such clients closed the streams to everyone. A stream's
// connection is read by a goroutine of its own until EOF or an error,
// which ends the stream (gone); whatever the client sends meanwhile is
// dropped, and past maxStreamInput the stream ends too. The body has no
// length and no chunks: it ends when the connection closes (Connection:
// close), as an event-stream reader expects (the page's, EventSource).
type streamConn struct {
	conn    net.Conn
	timeout time.Duration
	gone    chan struct{}
}

// maxStreamInput is what a stream's client may send after its request
// (dropped) before its stream ends.
const maxStreamInput = 64 << 10

// streamWriteBuffer is the socket send buffer of a stream's connection.
// Left to the kernel's autotuning, it grew as long as the client's
// connection took nothing (the kernel took every write) up to
// net.ipv4.tcp_wmem's maximum (4 MiB): a client that never read held 4
// MiB of kernel memory per stream, 1 GiB with 256 streams, and was cut
// off only once that was full, minutes after it stopped reading. Fixed,
// a write blocks once about twice this is queued, and a client that takes
// nothing for WriteTimeout is cut off then (REFERENCE §10.1). A reader
// that keeps up is not slowed: it takes what the kernel holds as fast as
// it comes.
const streamWriteBuffer = 64 << 10

// limitWriteBuffer sets a stream connection's send buffer to
// streamWriteBuffer, through the limitConn of the accept loop.
func limitWriteBuffer(conn net.Conn) {
	if lc, ok := conn.(*limitConn); ok {
		conn = lc.Conn
	}
	if c, ok := conn.(interface{ SetWriteBuffer(int) error }); ok {
		c.SetWriteBuffer(streamWriteBuffer)
	}
}

// streamConns are the hijacked connections of the open streams, which
// http.Server no longer tracks: Close closes them and waits for their
// handlers.
type streamConns struct {
	mu     sync.Mutex
	conns  map[*streamConn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// take hijacks w's connection and writes the response's head: status
// 200, w's headers, then header. It fails if the connection cannot be
// taken, or after Close.
func (s *Server) take(w http.ResponseWriter, header map[string]string) (*streamConn, error) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, err
	}
	limitWriteBuffer(conn)
	sc := &streamConn{conn: conn, timeout: s.o.WriteTimeout, gone: make(chan struct{})}
	if !s.conns.add(sc) {
		conn.Close()
		return nil, net.ErrClosed
	}
	conn.SetReadDeadline(time.Time{})
	go func() {
		// until the client hangs up, end closes it, or the client has
		// sent more than a page ever does (nothing): no client makes cfkd
		// read on for it
		io.CopyN(io.Discard, brw.Reader, maxStreamInput+1)
		close(sc.gone)
	}()
	h := w.Header().Clone()
	for k, v := range header {
		h.Set(k, v)
	}
	h.Set("Connection", "close")
	var head bytes.Buffer
	head.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&head)
	head.WriteString("\r\n")
	if err := sc.write(head.Bytes()); err != nil {
		s.end(sc)
		return nil, err
	}
	return sc, nil
}

// write writes b in pieces, each with the write deadline, as
// deadlineWriter does for the other responses.
func (sc *streamConn) write(b []byte) error {
	_, err := writeInPieces(sc.conn, b, sc.timeout, sc.conn.SetWriteDeadline)
	return err
}

// end closes a stream's connection; its reader then returns.
func (s *Server) end(sc *streamConn) {
	sc.conn.Close()
	s.conns.remove(sc)
}

func (c *streamConns) add(sc *streamConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	if c.conns == nil {
		c.conns = map[*streamConn]struct{}{}
	}
	c.conns[sc] = struct{}{}
	c.wg.Add(1)
	return true
}

func (c *streamConns) remove(sc *streamConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.conns[sc]; ok {
		delete(c.conns, sc)
		c.wg.Done()
	}
}

// closeAll takes no more streams, waits up to grace for their handlers
// to end them (they see Close's quit and send what they still hold), then
// closes the connections left (their handlers' writes fail, their
// selects see gone), and waits until their handlers have ended them, or
// until deadline.
func (c *streamConns) closeAll(grace time.Duration, deadline <-chan struct{}) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	case <-deadline:
	}
	c.mu.Lock()
	for sc := range c.conns {
		sc.conn.Close()
	}
	c.mu.Unlock()
	select {
	case <-done:
	case <-deadline:
	}
}
