package web

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// This file holds what bounds a client of the HTTP server that does not
// play along (REFERENCE §10.1): the connections open at once, and a
// response its client does not read.

// limitListener hands out at most cap connections open at once: past
// that, the client accepted waits in Accept until one is closed (the
// next clients wait in the listen backlog), so that no client can make
// cfkd hold more fds and goroutines than that (and one). While a client
// waits, a connection kept open between two requests (HTTP keep-alive)
// is closed to make room, the one idle the longest first, or else the
// first that goes idle: idle connections (anyone who may connect can
// open them, and a GET every two minutes keeps them) no longer lock out
// a client with a request to make.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{} // closed by Close: an Accept waiting for a slot returns
	once  sync.Once

	mu      sync.Mutex
	idle    map[net.Conn]time.Time // between two requests, since when (connState)
	waiting bool                   // Accept waits for a slot
}

func limit(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{}), idle: map[net.Conn]time.Time{}}
}

// connState is the server's ConnState: it follows the idle connections,
// and closes one that goes idle while Accept waits for a slot.
func (l *limitListener) connState(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	evict := st == http.StateIdle && l.waiting
	if st == http.StateIdle && !evict {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
	l.mu.Unlock()
	if evict {
		c.Close()
	}
}

// evictIdle closes the connection idle the longest, if any.
func (l *limitListener) evictIdle() {
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest != nil {
		oldest.Close()
	}
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	default:
		l.mu.Lock()
		l.waiting = true
		l.mu.Unlock()
		l.evictIdle()
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			c.Close()
			return nil, net.ErrClosed
		}
		l.mu.Lock()
		l.waiting = false
		l.mu.Unlock()
	}
	return &limitConn{Conn: c, free: func() { <-l.slots }}, nil
}

// Close closes the listener and ends an Accept waiting for a slot:
// http.Server.Shutdown waits for Serve to return before it closes any
// connection.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.free)
	return err
}

// deadlineWriter gives every write of a response a deadline, a piece of
// at most deadlineChunk bytes at a time: a client that takes none of a
// piece for timeout is cut off (its handler's write fails and it
// returns), while one that reads slowly but steadily gets all of it. The
// streams (sse.go) write through it too.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

const deadlineChunk = 64 << 10

func (d *deadlineWriter) Write(b []byte) (int, error) {
	return writeInPieces(d.ResponseWriter, b, d.timeout, d.rc.SetWriteDeadline)
}

// writeInPieces writes b to w deadlineChunk bytes at a time, setting a
// write deadline of timeout from now (setDeadline) before each piece.
func writeInPieces(w io.Writer, b []byte, timeout time.Duration, setDeadline func(time.Time) error) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), deadlineChunk)
		setDeadline(time.Now().Add(timeout))
		m, err := w.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}

// Flush writes what is buffered, with a deadline too.
func (d *deadlineWriter) Flush() {
	d.rc.SetWriteDeadline(time.Now().Add(d.timeout))
	d.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
