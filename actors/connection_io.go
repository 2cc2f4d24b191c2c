package actors

// The I/O side of a console connection (REFERENCE §5.4): its reader and
// writer goroutines, which wait on the socket so that the actor never
// does, and the bounds of what they hold (pending replies and requests).

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// connIO is the I/O side of a connection: its reader and writer goroutines
// and the state they share with the actor under mu. The actor only appends
// replies and reads counters; it never waits on the I/O.
type connIO struct {
	conn       net.Conn
	lim        connLimits
	root       *actor.RootContext
	self       *actor.PID
	readerDone chan struct{}

	mu   sync.Mutex
	cond *sync.Cond // broadcast on every change below
	// reqs counts the requests read whose reply is not written yet;
	// reqBytes the bytes of those not answered yet; replyBytes the reply
	// bytes appended and not yet written.
	reqs, reqBytes, replyBytes int
	// unanswered counts the requests read that the actor has not
	// answered yet (judged: the reader's wait at the auth deadline)
	unanswered int
	// doneAt: when a request was last answered and its reply written
	// (or dropped): the idle clock starts again then (pending)
	doneAt     time.Time
	out        []byte    // replies ready, not yet taken by the writer
	outReplies int       // how many replies out holds
	inputDone  bool      // the reader is done: no request will come
	exited     bool      // the reader stopped at `exit`, what came after it unread (closeConn)
	abandoned  bool      // write what is in out, then close, whatever is still due
	broken     bool      // the connection is closed: replies are dropped
	wantRoom   bool      // the actor waits for replyBytes under the bound
	draining   bool      // stop reading; writes have a deadline
	upgrading  bool      // drained for an upgrade in place: a stream ends with a resume line
	drainBy    time.Time // the drain's bound: its replies written and the connection closed by then
	actorGone  bool      // the actor stopped: no message to send it
	// feed is the stream the connection became (nil before): the reader
	// drops what it reads, the writer writes the feed once out is written.
	feed *Feed
	log  *logrus.Logger // the stream's (set with feed)
	// withdrawn, when set with feed, says why the stream's rights are gone
	// ("" while they last): the writer checks it before each write
	withdrawn func() string
	peer      string // set by the actor before start
	// afterBig is called after a reply of BigReply bytes or more was
	// appended (connStreams.afterBigReply; nil: nothing).
	afterBig func()
	cutGrace time.Duration // streamCutGrace (connStreams.cutGrace)
	// drainBound is drainWriteBound, or a test's that bounds by its
	// deadline what it does not test (set under mu, before the drain)
	drainBound time.Duration
}

// start runs the reader and the writer of the actor self.
func (io *connIO) start(root *actor.RootContext, self *actor.PID) {
	io.root, io.self = root, self
	go io.read()
	go io.write()
}

// maxReadBatch bounds the lines the reader hands to the actor in one
// message.
const maxReadBatch = 256

// read turns request lines into lineReceived messages, waiting for room
// before it reads each one. The lines already in its read buffer when it
// reads one (a pipelining client's) go with it in one linesReceived, up
// to maxReadBatch: a message, and a turn of the actor, per read(2)
// rather than per line. It never waits with lines not sent.
func (io *connIO) read() {
	defer close(io.readerDone)
	defer io.endInput()
	r := bufio.NewReader(newDrainReader(io))
	var batch linesReceived
	send := func() {
		switch len(batch) {
		case 0:
			return
		case 1:
			io.root.Send(io.self, batch[0])
		default:
			io.root.Send(io.self, batch)
		}
		batch = nil
	}
	defer send() // before endInput: no line comes after connectionClosed
	for {
		if len(batch) > 0 && (len(batch) >= maxReadBatch || !lineBuffered(r) || !io.room()) {
			send()
		}
		if !io.waitRoom() {
			return
		}
		line, err := protocol.ReadRequest(r)
		tooLong := errors.Is(err, protocol.ErrLineTooLong)
		if err != nil && !tooLong {
			return
		}
		if err == nil && messages.IsExit(line) {
			io.mu.Lock()
			io.exited = true
			io.mu.Unlock()
			return
		}
		if io.streaming() {
			continue // a stream ignores what its client sends (REFERENCE §1.5)
		}
		if !io.admit(len(line)) {
			return
		}
		batch = append(batch, lineReceived{line: line, tooLong: tooLong})
	}
}

// lineBuffered says whether r holds a whole line already: reading it does
// not wait.
func lineBuffered(r *bufio.Reader) bool {
	b, _ := r.Peek(r.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}

// room says whether the connection may read one more request now
// (waitRoom would not wait).
func (io *connIO) room() bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	return io.gone() || io.feed != nil || io.reqs < io.lim.requests && io.reqBytes+io.replyBytes < io.lim.bytes
}

// waitRoom waits until the connection may read one more request; false
// when it must stop reading.
func (io *connIO) waitRoom() bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	for !io.gone() && io.feed == nil && (io.reqs >= io.lim.requests || io.reqBytes+io.replyBytes >= io.lim.bytes) {
		io.cond.Wait()
	}
	return !io.gone()
}

func (io *connIO) streaming() bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	return io.feed != nil
}

func (io *connIO) stopReading() bool { return io.gone() || io.draining }

// gone says whether the connection takes no more requests at all. A
// drained one still reads what its client sent before the drain
// (drainReader): those requests are answered as the drain answers.
func (io *connIO) gone() bool { return io.broken || io.abandoned }

// admit counts a request read; false when the connection no longer takes
// requests (it was drained or closed meanwhile: the line is dropped).
func (io *connIO) admit(n int) bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	if io.gone() {
		return false
	}
	io.reqs++
	io.reqBytes += n
	io.unanswered++
	return true
}

// judged waits until the actor has answered every request read, the
// connection takes no more, or done holds: at the auth deadline, the
// reader waits for the judgment of the lines it read in time, one of which
// may be an auth (guardedConn.Read). It waits for the answers, not for
// their writes, and no longer once the actor waits for room for them: a
// client that reads none cannot hold it.
func (io *connIO) judged(done func() bool) {
	io.mu.Lock()
	defer io.mu.Unlock()
	for io.unanswered > 0 && !io.wantRoom && !io.stopReading() && !done() {
		io.cond.Wait()
	}
}

// endInput: the reader is done (the client's end of input, `exit`, or a
// read error). A stream ends once what is queued in its feed is written.
func (io *connIO) endInput() {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.inputDone = true
	if io.feed != nil {
		io.feed.end()
	}
	io.cond.Broadcast()
}

// stream makes the connection the stream of f, in place of the reply to
// request m (called by the actor, in request order).
func (io *connIO) stream(m lineReceived, f *Feed, log *logrus.Logger, withdrawn func() string) {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.reqBytes -= len(m.line)
	io.reqs--
	io.unanswered--
	io.feed, io.log, io.withdrawn = f, log, withdrawn
	switch {
	case io.broken || io.abandoned: // the writer is gone, or takes nothing more
		f.Close()
	case io.draining && !io.upgrading: // cfkd shuts down: its last line says so
		// (the drain ended the reader too: its input is done, not by
		// its client)
		f.endWith(messages.ShutdownReason)
	case io.inputDone || io.draining:
		f.end() // what it has queued (a tail's last lines) is written, then it ends
	}
	io.cond.Broadcast()
}

// cutOff is the feed's: its client fell behind by more than the backlog.
// The writer has streamCutGrace to write what was queued and the last
// line. Called in the goroutine that pushed: it does not block.
func (io *connIO) cutOff() {
	io.conn.SetWriteDeadline(time.Now().Add(io.cutGrace))
}

// reply appends the reply to request m for the writer (called by the
// actor, in request order).
func (io *connIO) reply(m lineReceived, rep messages.Reply) {
	io.mu.Lock()
	io.reqBytes -= len(m.line)
	io.unanswered--
	big := false
	if io.broken || io.abandoned {
		io.reqs--
		io.doneAt = time.Now()
	} else {
		n := len(io.out)
		if n == 0 {
			io.out = replyBuffer(io.out, rep)
		}
		io.out = protocol.AppendReply(io.out, rep)
		io.replyBytes += len(io.out) - n
		io.outReplies++
		big = len(io.out)-n >= BigReply
	}
	after := io.afterBig
	io.cond.Broadcast()
	io.mu.Unlock()
	if big && after != nil {
		after()
	}
}

// roomForReply says whether the unwritten replies leave room for one more;
// when they do not, the writer sends replyRoom once they do.
func (io *connIO) roomForReply() bool {
	io.mu.Lock()
	defer io.mu.Unlock()
	if io.broken || io.abandoned || io.replyBytes < io.lim.bytes {
		return true
	}
	io.wantRoom = true
	io.cond.Broadcast() // judged waits no more
	return false
}

// finished: nothing more will be written.
func (io *connIO) finished() bool {
	return io.broken || io.abandoned || io.inputDone && io.reqs == 0
}

// write writes the ready replies, all of them in one write(2), until the
// connection is finished; then it closes it and tells the actor, once the
// reader is done too (so that no line comes after connectionClosed).
func (io *connIO) write() {
	var buf []byte
	for {
		io.mu.Lock()
		for len(io.out) == 0 && io.feed == nil && !io.finished() {
			io.cond.Wait()
		}
		if len(io.out) == 0 {
			if f := io.feed; f != nil && !io.broken {
				io.mu.Unlock()
				io.writeStream(f)
				io.mu.Lock()
			}
			io.broken = true
			io.cond.Broadcast()
			io.mu.Unlock()
			break
		}
		buf, io.out = io.out, buf[:0]
		n := io.outReplies
		io.outReplies = 0
		io.mu.Unlock()

		_, err := io.writeReplies(buf)

		io.mu.Lock()
		io.replyBytes -= len(buf)
		io.reqs -= n
		io.doneAt = time.Now()
		room := io.wantRoom && io.replyBytes < io.lim.bytes && !io.actorGone
		if room {
			io.wantRoom = false
		}
		if err != nil {
			io.broken = true
		}
		io.cond.Broadcast()
		io.mu.Unlock()
		if room {
			io.root.Send(io.self, replyRoom{})
		}
		if err != nil {
			break
		}
		if cap(buf) > 64<<10 { // a large reply: its buffer goes back to the pool
			big := buf
			bigBuffers.Put(&big)
			buf = nil
		}
	}
	// a stream set while replies before it were written, whose write then
	// failed (the client went away, or was cut off), was never written:
	// its feed leaves the hub or the tail now (writeStream closed any
	// other; a feed set from now on is closed by stream, broken is set)
	io.mu.Lock()
	f := io.feed
	io.mu.Unlock()
	if f != nil {
		f.Close()
	}
	io.closeConn()
	<-io.readerDone
	io.mu.Lock()
	gone := io.actorGone
	io.mu.Unlock()
	if !gone {
		io.root.Send(io.self, connectionClosed{})
	}
}

// exitLinger bounds how long a connection that ended with `exit` is
// lingered on at its close (closeConn).
const exitLinger = time.Second

// closeConn closes the connection once the writer is done. One that its
// client ended with `exit` may hold what the client sent after it,
// unread: closed then, the kernel resets a TCP connection, and drops the
// replies it had not sent yet (those to the requests before the `exit`,
// that the client had not taken yet: of 2,000 pipelined, a few hundred
// came), and a UNIX one ends in a reset after them. So its write side is
// shut first (the client reads every reply, then the end), and what the
// client sends is read and dropped until it closes, or exitLinger passes
// (as a refused connection's, refuse.go).
func (io *connIO) closeConn() {
	io.mu.Lock()
	exited := io.exited && !io.abandoned && !io.draining
	drained := io.draining && !io.abandoned
	by := io.drainBy
	io.mu.Unlock()
	raw := io.conn
	if g, ok := raw.(*guardedConn); ok {
		raw = g.Conn
	}
	hc, ok := raw.(interface {
		net.Conn
		CloseWrite() error
	})
	if exited && ok {
		<-io.readerDone // it returned at the `exit`: nothing else reads
		if hc.CloseWrite() == nil {
			dropInput(hc, exitLinger)
		}
	}
	if drained && ok {
		<-io.readerDone // its reads do not wait once drained
		closeDrained(hc, by)
	}
	io.conn.Close()
}

// writeStream writes the lines of f as they come, each ending in "\n"
// (a "\r" or "\n" inside one becomes a space), all that is queued in one
// write(2), until f ends or a write fails. A feed that was cut off ends
// with the line {"kind":"lost","lost":N} ending in "\r\n" (REFERENCE
// §1.5), one whose token was withdrawn with {"kind":"end","reason":WHY},
// one an upgrade in place ended with {"kind":"end",...,"resume":true},
// one a shutdown or a destroy ended (endWith) with
// {"kind":"end","reason":WHY,"done":true}: no line of the stream ends so
// otherwise. A stream its client ended ends with no such line.
func (io *connIO) writeStream(f *Feed) {
	defer f.Close()
	var buf []byte
	for {
		<-f.Ready()
		lines, lost, ended := f.Take()
		buf = buf[:0]
		for _, l := range lines {
			buf = appendStreamLine(buf, l)
		}
		linesEnd := len(buf)
		if lost > 0 {
			buf = messages.LostEvent(lost).Append(buf)
			buf = append(buf, '\r', '\n')
		}
		if len(buf) > 0 {
			if io.withdrawn != nil {
				if why := io.withdrawn(); why != "" {
					io.log.Warnf("connection %s: %s: its stream ends", io.peer, why)
					// its last line says why, framed as the lost line is
					// (REFERENCE §1.5): the client can tell it from a shutdown
					end := messages.EndEvent(why).Append(nil)
					io.conn.Write(append(end, '\r', '\n'))
					return
				}
			}
			n, err := io.conn.Write(buf)
			if err != nil && io.cutGraceOver(f, err) {
				io.endCut(f, buf, n, len(lines), linesEnd, lost)
				return
			}
			if lost > 0 {
				io.log.Warnf("connection %s: stream cut off, its client fell behind: %d lines lost", io.peer, lost)
			}
			if err != nil {
				return
			}
		}
		if ended {
			io.mu.Lock()
			upgrading := io.upgrading
			io.mu.Unlock()
			switch why := f.endReason(); {
			case lost > 0:
			case upgrading:
				// the client may subscribe again at once (REFERENCE §1.5)
				end := messages.UpgradeEndEvent().Append(nil)
				io.conn.Write(append(end, '\r', '\n'))
			case why != "":
				// over as it should be (a shutdown, a tail's service
				// destroyed): its client can tell it from cfkd lost
				end := messages.DoneEndEvent(why).Append(nil)
				io.conn.Write(append(end, '\r', '\n'))
			}
			return
		}
		if cap(buf) > 64<<10 { // a burst: do not keep its buffer
			buf = nil
		}
	}
}

// appendStreamLine appends a line of a stream and its "\n", a "\r" or
// "\n" inside it made a space (the framing of REFERENCE §1.5).
func appendStreamLine(b, line []byte) []byte {
	n := len(b)
	b = append(b, line...)
	for i := n; i < len(b); i++ {
		if b[i] == '\r' || b[i] == '\n' {
			b[i] = ' '
		}
	}
	return append(b, '\n')
}

// drain stops reading: what was read is answered, and what the client
// had sent already, read without waiting (drainReader), too; the
// connection is closed once the replies are written, within 2 seconds (a
// client that does not read its last replies cannot hold shutdown). A
// stream ends once what it has queued is written.
func (io *connIO) drain(upgrade bool) {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.draining, io.upgrading = true, upgrade
	io.drainBy = time.Now().Add(io.drainBound)
	if io.feed != nil {
		if upgrade {
			io.feed.end()
		} else {
			io.feed.endWith(messages.ShutdownReason) // its last line says so (REFERENCE §1.5)
		}
	}
	io.cond.Broadcast()
	io.conn.SetReadDeadline(time.Now())
	io.conn.SetWriteDeadline(io.drainBy)
}

// drainWriteBound bounds how long a drained connection takes to write its
// last replies, and to be closed (closeDrained).
const drainWriteBound = 2 * time.Second

// abandon closes the connection once the replies already appended are
// written (within 2 seconds): the actor answers nothing more (gone: it
// stopped, and gets no message either).
func (io *connIO) abandon(gone bool) {
	io.mu.Lock()
	defer io.mu.Unlock()
	io.abandoned = true
	if io.feed != nil {
		io.feed.end()
	}
	io.actorGone = io.actorGone || gone
	io.cond.Broadcast()
	io.conn.SetReadDeadline(time.Now())
	io.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
}
