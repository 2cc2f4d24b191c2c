package ctl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// The streams of cfkd (REFERENCE §1.5): after `command events` or `command
// tail NAME follow`, a connection carries only lines, each ending in "\n",
// with no terminator, until cfkd closes it. A line ending in "\r\n" is
// either the ERROR that refused the request (first line) or the last line
// of a stream cut off because cfkd's queue for it was full:
// {"kind":"lost","lost":N}, or ended by cfkd for a reason the client
// must hear: {"kind":"end","reason":WHY}, with "done":true when it is
// over as it should be (cfkd shuts down, a tail's service destroyed),
// "resume":true for an upgrade in place. Any other line ending in "\r\n"
// but a JSON one (a kind a newer cfkd may send) comes from no cfkd: a
// web server given for its address (foreignLineError). A stream that ends with none of
// these, its client not having ended it, was lost: cfkd crashed or was
// killed.

// foreignLineError: a stream's connection brought a line ending in
// "\r\n" that is no ERROR nor a JSON line (an end or a lost line), which
// no cfkd sends (REFERENCE §1.5): the address is something else's, as
// protocol.ForeignReplyError says of a reply.
type foreignLineError struct {
	what string // what was being done
	line string // the line, without its "\r\n"
	addr string // the address given
}

func (e *foreignLineError) Error() string {
	return fmt.Sprintf("%s: a line no cfkd sends came (%q): is '%s' cfkd's admin socket?", e.what, e.line, e.addr)
}

// streamEnd is how a stream ended.
type streamEnd struct {
	lost   int    // the lost line's count: cut off
	ended  string // the end line's reason: ended by cfkd (its token withdrawn)
	resume bool   // the end line says the request may be sent again at once (an upgrade in place)
	unread bool   // resume: the request was refused unread (the connection came as the upgrade drained cfkd)
	done   string // the end line's reason, when it says done: over as it should be (a shutdown)
	closed bool   // cfkd closed the connection without a word: lost, unless cfkctl ended it
	err    error  // a refusal (*protocol.RemoteError) or a failed read
}

// silent says whether the stream ended without a word from cfkd: its
// connection closed with no end line, lost line nor error.
func (e streamEnd) silent() bool {
	return e.err == nil && e.lost == 0 && e.ended == "" && !e.resume && e.done == ""
}

// lostDaemon is the failure of a stream that cfkd closed without a word:
// a shutdown says so (REFERENCE §1.5), so cfkd was lost.
func lostDaemon(what string) error {
	return fmt.Errorf("%s: the connection to cfkd was lost without a shutdown (cfkd crashed or was killed?)", what)
}

// openStream connects a session of its own and sends request, without
// waiting for anything: a stream has no first reply.
func openStream(o *options, e *env, request string) (*session, error) {
	s := newSession(o, e)
	if err := s.connect(); err != nil {
		if msg, ok := drainedAtAuth(err); ok {
			return refusedAtAuth(s, msg), nil
		}
		return nil, err
	}
	if err := s.open(request); err != nil {
		return nil, err
	}
	return s, nil
}

// drainedAtAuth says whether err is the answer of cfkd's drain to the
// `auth` of a TCP console (a shutdown's, an upgrade in place's), and
// which.
func drainedAtAuth(err error) (string, bool) {
	var re *protocol.RemoteError
	if errors.As(err, &re) && (re.Msg == messages.ShutdownReason || re.Msg == messages.UpgradeRetry) {
		return re.Msg, true
	}
	return "", false
}

// refusedAtAuth makes s, whose auth the drain answered msg (its
// connection closed), a stream that readStream ends as it ends one whose
// request the drain answered so (REFERENCE §1.5): a shutdown's end, an
// upgrade's request sent again. On a TCP console with tokens the auth
// comes first and got that answer: `cfkctl events` said `cfkd refused
// the token of FILE: cfkd is shutting down`, exit 1, where on a UNIX
// socket it ended with the shutdown, exit 0.
func refusedAtAuth(s *session, msg string) *session {
	conn, peer := net.Pipe()
	peer.Close()
	s.conn = conn
	s.r = bufio.NewReader(strings.NewReader("ERROR: " + msg + "\r\n"))
	return s
}

// open sends a stream's request on the connected s; on failure, the
// connection is closed.
func (s *session) open(request string) error {
	if err := s.send(request); err != nil {
		s.conn.Close()
		return err
	}
	return nil
}

// readStream calls line with each line of the stream of s (without its
// end), until cfkd closes it, it is cut off, or it is refused.
func readStream(s *session, line func(string) error) streamEnd {
	for {
		l, err := protocol.ReadStreamLine(s.r)
		if errors.Is(err, net.ErrClosed) { // cfkctl closed it
			return streamEnd{}
		}
		if err == io.EOF && l == "" {
			return streamEnd{closed: true}
		}
		if err != nil {
			return streamEnd{err: s.convError("reading from cfkd", err)}
		}
		if content, ok := strings.CutSuffix(l, "\r"); ok {
			if msg, ok := strings.CutPrefix(content, "ERROR: "); ok {
				if msg == messages.ShutdownReason {
					// its request came too late to start it: the
					// stream ends as a shutdown ends one started
					// (REFERENCE §1.5)
					return streamEnd{done: msg}
				}
				if msg == messages.UpgradeRetry {
					// its connection came as an upgrade in place
					// drained cfkd, its request unread: it is sent
					// again as after an upgrade's end line (REFERENCE
					// §13.3)
					return streamEnd{ended: msg, resume: true, unread: true}
				}
				return streamEnd{err: &protocol.RemoteError{Msg: msg}}
			}
			if !json.Valid([]byte(content)) || !strings.HasPrefix(content, "{") {
				// neither a refusal nor an end or lost line, nor one of
				// a kind a newer cfkd may end a stream with: the peer is
				// no cfkd (a web server, cfkd's own --http port, given
				// to -a), whose answer is not printed as events or lines
				return streamEnd{err: &foreignLineError{what: "reading from cfkd", line: content, addr: s.opts.address}}
			}
			if ev, err := messages.ParseEvent(content); err == nil {
				switch ev.Kind {
				case messages.EventLost:
					return streamEnd{lost: ev.Lost}
				case messages.EventEnd:
					if ev.Done && !ev.Resume {
						return streamEnd{done: ev.Reason}
					}
					return streamEnd{ended: ev.Reason, resume: ev.Resume}
				}
			}
			l = content
		}
		if err := line(l); err != nil {
			return streamEnd{err: err}
		}
	}
}

// runEvents is `cfkctl events [REF...]`: one stream per selector, merged;
// each event printed as a human line, or as it came with --json, until
// cfkd ends the streams (a shutdown: success; a connection closed
// without its end line: cfkd lost, failure) or cfkctl is interrupted.
func runEvents(s *session, args []string) (err error) {
	defer func() { s.noteRefusal(err, s.onTCP()) }()
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	var streams []*resumable
	defer func() {
		for _, st := range streams {
			st.stop()
		}
	}()
	group := &streamGroup{}
	var mu sync.Mutex
	for _, sel := range sels {
		req := "command events " + sel
		st, err := openStream(s.opts, s.env, req)
		if err != nil {
			return err
		}
		r := newResumable(s, "events", req, st, group)
		if s.opts.json {
			// the gap shows in what a consumer reads
			r.onResume = func() {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintln(s.env.jsonOut(), messages.UpgradeEndEvent().Format())
			}
		}
		streams = append(streams, r)
	}
	var (
		seen   = newRecent(4096) // a service two references select comes twice
		color  = s.color()
		failed error
		lost   int
		silent time.Time // when a stream closed without a word
		done   bool      // a stream's end line said it is over (a shutdown)
	)
	ends := make(chan streamEnd, len(streams))
	for _, st := range streams {
		go func() {
			ends <- st.follow(func(l string) error {
				mu.Lock()
				defer mu.Unlock()
				if len(streams) > 1 && !seen.add(l) {
					return nil
				}
				return printEvent(s, l, color)
			})
		}()
	}
	for range streams {
		end := <-ends
		mu.Lock()
		switch {
		case end.err != nil && failed == nil:
			failed = end.err
		case end.ended != "" && failed == nil:
			if s.opts.json {
				fmt.Fprintln(s.env.stdout, messages.EndEvent(end.ended).Format())
			}
			failed = fmt.Errorf("events: cfkd ended the stream: %s", end.ended)
		case end.lost > 0:
			lost += end.lost
		case end.done != "":
			if s.opts.json && !done { // once: the streams of a shutdown say it each
				// its write error is the command's (REFERENCE §8.3): it
				// may be the only line, the stream exiting 0
				if _, err := fmt.Fprintln(s.env.jsonOut(), messages.DoneEndEvent(end.done).Format()); err != nil && failed == nil {
					failed = err
				}
			}
			done = true
		case end.closed:
			silent = time.Now()
		}
		mu.Unlock()
		switch {
		case end.err != nil || end.lost > 0 || end.ended != "":
			for _, st := range streams { // one stream ended badly: stop them all
				st.stop()
			}
		case group.resumedWithin(resumeWindow):
			// one ended for good while an upgrade was going on (the
			// others may have resumed): end them all, rather than follow
			// some of the selectors only; as an end of input does, so
			// that what cfkd holds for them is still read (a shutdown
			// right after the upgrade ends them too)
			for _, st := range streams {
				st.end()
			}
		}
	}
	if failed != nil {
		return failed
	}
	if lost > 0 {
		if s.opts.json {
			fmt.Fprintln(s.env.stdout, messages.LostEvent(lost).Format())
		}
		return fmt.Errorf("events: cut off by cfkd after losing %d events (not read fast enough)", lost)
	}
	if !silent.IsZero() && !done && !group.toldNear(silent) {
		// a shutdown ends a stream with its end line (REFERENCE §1.5):
		// one that closed without it lost its cfkd (one of several
		// selectors closed by the drain of a shutdown or an upgrade
		// before its request was read is part of it)
		return lostDaemon("events")
	}
	return nil
}

// printEvent prints one event line: as it is with --json, else as
// `15:04:05 web1 running → fail (Exited with error 1)`. A line of a kind
// cfkctl does not know (a newer cfkd) is printed as it is.
//
// On a terminal, what cfkd sent is written with its controls escaped
// (REFERENCE §8.3): a fail reason or a message may hold what a service
// wrote; cfkctl's own colours are added after.
func printEvent(s *session, line string, color bool) error {
	if s.opts.json {
		_, err := fmt.Fprintln(s.env.jsonOut(), line)
		return err
	}
	e, err := messages.ParseEvent(line)
	if err != nil {
		_, err := fmt.Fprintln(s.env.stdout, s.safeOut(line))
		return err
	}
	for _, f := range []*string{&e.Service, &e.Proxy, &e.Socket, &e.From, &e.To, &e.Reason, &e.Address, &e.Level, &e.Message} {
		*f = s.safeOut(*f)
	}
	var b strings.Builder
	b.WriteString(e.Time.In(s.env.loc).Format("15:04:05"))
	to := e.To
	if color {
		to = paint(stateColor(to), to)
	}
	switch e.Kind {
	case messages.EventService:
		fmt.Fprintf(&b, " %s %s → %s", e.Service, e.From, to)
		switch {
		case e.Reason != "":
			fmt.Fprintf(&b, " (%s)", e.Reason)
		case e.Pid != 0:
			fmt.Fprintf(&b, " (pid %d)", e.Pid)
		}
	case messages.EventProxy:
		fmt.Fprintf(&b, " proxy %s %s → %s", e.Proxy, e.From, to)
		if e.Pid != 0 {
			fmt.Fprintf(&b, " (pid %d)", e.Pid)
		}
	case messages.EventSocket:
		fmt.Fprintf(&b, " socket %s %s → %s", e.Socket, e.From, to)
		if e.Address != "" {
			fmt.Fprintf(&b, " (%s)", e.Address)
		}
	case messages.EventCfkd:
		lvl := e.Level
		if color && lvl == "error" {
			lvl = paint(ansiRed, lvl)
		}
		fmt.Fprintf(&b, " cfkd %s: %s", lvl, e.Message)
		// what it is about, as the record's fields say (REFERENCE §1.6)
		var about []string
		if e.Service != "" {
			about = append(about, "service "+e.Service)
		}
		if e.Proxy != "" {
			about = append(about, "proxy "+e.Proxy)
		}
		if e.Pid != 0 {
			about = append(about, fmt.Sprintf("pid %d", e.Pid))
		}
		if len(about) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(about, ", "))
		}
	case messages.EventDestroyed:
		fmt.Fprintf(&b, " %s destroyed", e.Service)
	case messages.EventHost: // fleet events (REFERENCE §12)
		fmt.Fprintf(&b, " host %s → %s", e.From, to)
		if e.Reason != "" {
			fmt.Fprintf(&b, " (%s)", e.Reason)
		}
	}
	b.WriteByte('\n')
	_, err = io.WriteString(s.env.stdout, b.String())
	return err
}

// recent remembers the last n lines seen, to print a line two streams
// bring once.
type recent struct {
	set  map[string]bool
	ring []string
	next int
}

func newRecent(n int) *recent { return &recent{set: map[string]bool{}, ring: make([]string, n)} }

// add reports whether l is new, and remembers it.
func (r *recent) add(l string) bool {
	if r.set[l] {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next], r.set[l] = l, true
	r.next = (r.next + 1) % len(r.ring)
	return true
}

// runTail is `cfkctl tail [-f] [-n N] NAME`: the last N lines the service
// wrote; with -f, then the new ones as they come, until the service is
// destroyed, cfkd shuts down (success), cfkd is lost (failure) or cfkctl
// is interrupted.
func runTail(s *session, args []string) (err error) {
	defer func() { s.noteRefusal(err, s.onTCP()) }()
	name := args[0]
	if !validName(name) {
		return badName("service", name)
	}
	req := "command tail " + name + " " + strconv.Itoa(s.opts.lines)
	if !s.opts.follow {
		lines, err := s.call(req)
		if err != nil {
			return err
		}
		return printLines(s, lines)
	}
	first, err := openStream(s.opts, s.env, req+" follow")
	if err != nil {
		return err
	}
	// across an upgrade in place, the new lines only: the last ones were shown
	st := newResumable(s, "tail", "command tail "+name+" 0 follow", first, &streamGroup{})
	st.sent = req + " follow" // sent again as it was if cfkd did not read it
	defer st.stop()
	out := bufio.NewWriter(s.env.stdout)
	tty := s.env.terminal(s.env.stdout)
	end := st.follow(func(l string) error {
		if s.opts.json {
			b, _ := json.Marshal(l)
			if tty {
				b = escapeJSON(b)
			}
			out.Write(b)
			out.WriteByte('\n')
		} else {
			out.WriteString(s.safeOut(l)) // a service's output (REFERENCE §8.3)
			out.WriteByte('\n')
		}
		if bytes.IndexByte(peek(st.session().r), '\n') < 0 {
			return out.Flush() // no other line ready: show what came
		}
		return nil
	})
	if err := out.Flush(); err != nil && end.err == nil {
		end.err = err
	}
	switch {
	case end.err != nil:
		return end.err
	case end.lost > 0:
		return fmt.Errorf("tail: cut off by cfkd after losing %d lines (not read fast enough)", end.lost)
	case end.ended != "":
		return fmt.Errorf("tail: cfkd ended the stream: %s", end.ended)
	case end.closed:
		return lostDaemon("tail")
	}
	return nil // the end line said done: a shutdown, or the service destroyed
}

// peek returns what r holds buffered, without reading it.
func peek(r *bufio.Reader) []byte {
	b, _ := r.Peek(r.Buffered())
	return b
}
