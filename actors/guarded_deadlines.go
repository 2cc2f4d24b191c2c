package actors

import (
	"errors"
	"os"
	"time"
)

// The deadlines of a guardedConn that do not wait for its reader
// (REFERENCE §5.4). Read checks the auth and idle deadlines, but a client
// that sends requests and never reads a reply stops the reader: past the
// bounds of its pending work (connLimits), the reader waits for room and
// reads no more, and the writer waits for the client to take its replies.
// Then the auth deadline is a timer (armAuth), and the idle deadline a
// write deadline on the replies (writeReplies). Neither makes an actor
// wait: the timer's goroutine waits for the judgment of the lines read in
// time, the writer's goroutine for the socket.

// armAuth starts the timer of the auth deadline (authBy): a client that
// has not authenticated by then is closed, whatever its reader does. The
// console's actor calls it once the connection's callbacks are set; the
// auth or the close stops it.
func (g *guardedConn) armAuth() {
	if g.authBy.IsZero() {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.authTimer = time.AfterFunc(time.Until(g.authBy), g.authDeadline)
}

func (g *guardedConn) stopAuthTimer() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.authTimer != nil {
		g.authTimer.Stop()
	}
}

// authDeadline is the timer's: as Read at the deadline, an auth read in
// time but not judged yet decides (it waits for the answers of the lines
// read, no longer once the actor waits for room for them: a client that
// reads none cannot hold it); else the connection is closed.
func (g *guardedConn) authDeadline() {
	g.mu.Lock()
	forced := g.forced
	g.mu.Unlock()
	if forced || g.authed.Load() { // closed from outside already (a drain), or authenticated
		return
	}
	if g.judged != nil {
		g.judged(g.authed.Load)
	}
	if !g.authed.Load() {
		g.authExpired()
	}
}

// authExpired logs the close at the auth deadline and closes the
// connection: its reader stops, what its writer holds is written within
// 2 seconds, then it is closed (connIO.abandon). Once: the reader and the
// timer may both find it.
func (g *guardedConn) authExpired() {
	g.authOnce.Do(func() {
		if g.onAuthTimeout != nil {
			g.onAuthTimeout()
		}
	})
}

// idled logs that the connection is idle (once: its reader and its writer
// may both find it so).
func (g *guardedConn) idled() {
	g.idleOnce.Do(func() {
		if g.onIdle != nil {
			g.onIdle()
		}
	})
}

func (g *guardedConn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wforced = t
	return g.Conn.SetWriteDeadline(t)
}

// writeReplies writes b, replies, with the idle deadline: a client that
// takes none of them and sends nothing for the idle timeout is idle
// (REFERENCE §5.4), the write ends with the timeout, and the writer closes
// the connection. A client that reads, however slowly, is not: each byte
// it takes starts the clock again, and so does each one it sends. A
// deadline set from outside (a drain, abandon) still holds.
func (g *guardedConn) writeReplies(b []byte) (int, error) {
	if g.idle <= 0 {
		return g.Conn.Write(b)
	}
	defer func() { // the deadline of a stream's writes is not the replies'
		g.mu.Lock()
		g.Conn.SetWriteDeadline(g.wforced)
		g.mu.Unlock()
	}()
	from, done := time.Now(), 0
	for {
		g.mu.Lock()
		dl, forced := from.Add(g.idle), g.wforced
		if !forced.IsZero() && forced.Before(dl) {
			dl = forced
		}
		g.Conn.SetWriteDeadline(dl)
		g.mu.Unlock()
		n, err := g.Conn.Write(b[done:])
		done += n
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return done, err
		}
		g.mu.Lock()
		forced = g.wforced
		g.mu.Unlock()
		now := time.Now()
		if !forced.IsZero() && !now.Before(forced) {
			return done, err
		}
		if n > 0 {
			from = now // taken: the clock starts again
			continue
		}
		if read := time.Unix(0, g.lastRead.Load()); read.After(from) {
			from = read // read from meanwhile
		}
		if now.Before(from.Add(g.idle)) {
			continue
		}
		g.idled()
		return done, err
	}
}

// writeReplies writes replies: with the idle deadline on a guardedConn.
func (io *connIO) writeReplies(b []byte) (int, error) {
	if g, ok := io.conn.(*guardedConn); ok {
		return g.writeReplies(b)
	}
	return io.conn.Write(b)
}
