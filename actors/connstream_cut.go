package actors

import (
	"bytes"
	"errors"
	"os"
	"time"

	"github.com/cfk/cfk/messages"
)

// The end of a stream cut off whose client did not read in time
// (REFERENCE §1.5). Once a stream's client has fallen behind by more than
// its backlog, the writer has the grace (streamCutGrace) to write what
// was queued and the lost line. What the client has not taken by then is
// dropped, and counted: the writer finishes the line it was in the middle
// of, if any (a line, at most), and writes the lost line with the count of
// every line the client will not get, whenever the client reads it. Closed
// without it, the client would read the end of the lines it was sent, then
// the end of the stream, as at a shutdown: it could not tell that it had
// lost anything (cfkctl events exited 0, silent), and cfkd said nothing
// either. A client that never reads holds its connection as an idle stream
// does: a drain (a shutdown, an upgrade) still closes it within 2 seconds.

// cutGraceOver reports whether err, of a write of the stream of f, is the
// end of the grace of a cut (not of a drain's or an abandon's deadline).
// If so, the write deadline is lifted for the last line.
func (io *connIO) cutGraceOver(f *Feed, err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) || !f.isCut() {
		return false
	}
	io.mu.Lock()
	defer io.mu.Unlock()
	if io.draining || io.abandoned || io.broken {
		return false
	}
	io.conn.SetWriteDeadline(time.Time{})
	return true
}

// endCut ends a stream whose grace is over in the middle of the write of
// buf (n bytes of it written): the encoding of nLines lines up to
// linesEnd, then, if lost > 0, the lost line of f's end (f ended with
// that batch). It writes the rest of the line cut, then the lost line.
func (io *connIO) endCut(f *Feed, buf []byte, n, nLines, linesEnd, lost int) {
	rest := restOfLine(buf, n)
	sent := n + len(rest)
	if lost > 0 && sent > linesEnd { // the lost line was begun: its rest ends it
		io.log.Warnf("connection %s: stream cut off, its client fell behind: %d lines lost", io.peer, lost)
		io.conn.Write(rest)
		return
	}
	dropped := nLines - bytes.Count(buf[:min(sent, linesEnd)], []byte{'\n'})
	total := lost + dropped + f.drop()
	io.log.Warnf("connection %s: stream cut off, its client fell behind: %d lines lost (those it had not read %v after the cut included)", io.peer, total, io.cutGrace)
	last := messages.LostEvent(total).Append(rest)
	io.conn.Write(append(last, '\r', '\n'))
}

// restOfLine is what is left to write of the line that the first n bytes
// of buf end in the middle of (nothing when they end a line, or are 0).
func restOfLine(buf []byte, n int) []byte {
	if n == 0 || n >= len(buf) || buf[n-1] == '\n' {
		return nil
	}
	end := bytes.IndexByte(buf[n:], '\n')
	if end < 0 {
		return append([]byte(nil), buf[n:]...)
	}
	return append([]byte(nil), buf[n:n+end+1]...)
}
