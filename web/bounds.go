package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/keycount"
	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/internal/peeruid"
)

// This file holds what bounds a client of the HTTP server that does not
// play along (REFERENCE §10.1): the connections open at once, in all and
// per peer, the streams likewise, and a response its client does not
// read (a request's body: body.go).

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
	// peers counts the connections open per peer (peerKey), at most
	// PerKey each: past it, a connection is refused at once (refuse)
	peers   keycount.Counts
	refused func(peer string, open int) // told of each refusal (a log record)
	peerOf  func(net.Conn) string       // peerKey; a test's

	mu      sync.Mutex
	idle    map[net.Conn]time.Time // between two requests, since when (connState)
	waiting bool                   // Accept waits for a slot
}

func limit(ln net.Listener, n, perPeer int) *limitListener {
	l := &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{}), idle: map[net.Conn]time.Time{}, peerOf: peerKey}
	l.peers.PerKey = perPeer
	return l
}

// peerKey is what a connection's place is counted under (REFERENCE
// §10.1): on loopback, where every local user is the one address
// 127.0.0.1, the uid that owns the client's socket (peeruid), so that
// one local user cannot hold every place; elsewhere the peer's IP
// address. "" (not counted per peer) for a loopback client whose owner
// the kernel does not say (macOS, FreeBSD; a client gone already): the
// local users would all be one peer. It reads the kernel's socket table,
// in the accept loop (one sock_diag request, as the console's).
func peerKey(c net.Conn) string {
	if peeruid.IsLoopback(c) {
		if uid, err := peeruid.Of(c); err == nil {
			return "uid " + strconv.FormatUint(uint64(uid), 10)
		}
		return ""
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return ""
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
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := l.peerOf(c)
		if key != "" {
			if ok, open, _ := l.peers.Take(key); !ok {
				l.refuse(c, key, open)
				continue
			}
		}
		free := func() {
			<-l.slots
			if key != "" {
				l.peers.Give(key)
			}
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
				if key != "" {
					l.peers.Give(key)
				}
				return nil, net.ErrClosed
			}
			l.mu.Lock()
			l.waiting = false
			l.mu.Unlock()
		}
		return &limitConn{Conn: c, free: free, peer: key}, nil
	}
}

// refuse answers a connection of a peer that has its share of the places
// open already with a 503 and closes it, in the accept loop, without
// waiting for it: one write that does not block (a fresh socket has room
// for it), the write side shut, what the request had sent dropped (a
// close with unread data resets the connection), then the close.
func (l *limitListener) refuse(c net.Conn, peer string, open int) {
	body := `{"ok":false,"error":"too many connections from ` + peer + ` (` + strconv.Itoa(open) +
		` open, the most one peer may hold): close some"}` + "\n"
	nowait.Write(c, []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"+
		"Cache-Control: no-store\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body))
	nowait.Shutdown(c, syscall.SHUT_WR)
	nowait.Drop(c)
	c.Close()
	if l.refused != nil {
		l.refused(peer, open)
	}
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
	peer string // peerKey, found in the accept loop
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.free)
	return err
}

// peerCtxKey holds, in a request's context, the peer its connection is
// counted under (peerKey).
type peerCtxKey struct{}

// withPeer is the server's ConnContext: the requests of a connection
// know its peer, found once in the accept loop, for their streams.
func withPeer(ctx context.Context, c net.Conn) context.Context {
	if lc, ok := c.(*limitConn); ok && lc.peer != "" {
		return context.WithValue(ctx, peerCtxKey{}, lc.peer)
	}
	return ctx
}

// openStream takes a stream's slot, one of its peer's (the peer of its
// connection: peerKey) and one in all, or answers 503 and returns false
// when its peer has its share open (StreamsPerPeer) or all are taken;
// the caller calls closeStream once the stream has ended, however it
// ended. A request with no peer (one served by Handler alone; a loopback
// client the kernel does not name) is counted in all only.
func (s *Server) openStream(w http.ResponseWriter, r *http.Request) (closeStream func(), ok bool) {
	peer, _ := r.Context().Value(peerCtxKey{}).(string)
	if peer != "" {
		if ok, open, _ := s.streamPeers.Take(peer); !ok {
			why := "too many streams open from " + peer + " (" + strconv.Itoa(open) +
				" open, the most one peer may hold of the " + strconv.Itoa(cap(s.streams)) + ")"
			s.streamRefused(r, why, peer, true)
			writeError(w, http.StatusServiceUnavailable, why+": close one of its pages or log follows")
			return nil, false
		}
	}
	select {
	case s.streams <- struct{}{}:
		return func() {
			<-s.streams
			if peer != "" {
				s.streamPeers.Give(peer)
			}
		}, true
	default:
		if peer != "" {
			s.streamPeers.Give(peer)
		}
		why := "too many streams open (" + strconv.Itoa(cap(s.streams)) + ")"
		s.streamRefused(r, why, peer, false)
		writeError(w, http.StatusServiceUnavailable, why+": close a page or a log follow")
		return nil, false
	}
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
