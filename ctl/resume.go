package ctl

import (
	"fmt"
	"sync"
	"time"
)

// resumable is a stream that goes on across an upgrade in place of cfkd
// (REFERENCE §1.5): when its end line says resume, it sends its request
// again on a new connection, which the new cfkd serves (or the former
// one, if the upgrade failed). What happens in between is not shown:
// cfkctl says so on stderr.
//
// The streams of one command (events with several selectors) are a
// group: once one ends for good, the others do not resume; one that ends
// without a word (its connection closed by the drain before its request
// was read) while another of the group was told of an upgrade resumes
// too. A cfkd that ends a stream for an upgrade again and again, with no
// line between, is asked again after a growing pause, and given up on
// after resumeTries.
type resumable struct {
	s     *session // the command's
	what  string   // the command, for the notice
	again string   // the request sent again
	// sent is the request the connection now carries when it is not
	// again (a tail's first, which asks for the last lines): a refusal
	// that did not read it sends it again as it was
	sent  string
	group *streamGroup
	// onResume, when set, is called at each resume (events --json
	// prints the end line: a consumer sees the gap)
	onResume func()

	mu      sync.Mutex
	cur     *session // the stream's connection now
	stopped bool
	resumed time.Time // this stream's last resume
}

// streamGroup is what the streams of one command share.
type streamGroup struct {
	mu       sync.Mutex
	noticed  time.Time // the last notice of an upgrade
	resumed  time.Time // the last resume of any stream of the group
	finished bool      // a stream of the group ended for good
	told     time.Time // the last end line of any stream that said upgrade (resume)
}

// The pauses before asking again a cfkd that ends a stream for an
// upgrade with no line since the last time: from resumePause, doubled up
// to resumeMaxPause; given up after resumeTries in a row (variables:
// tests make them short).
var (
	resumePause    = 100 * time.Millisecond
	resumeMaxPause = 5 * time.Second
	resumeTries    = 8
)

// resumeWindow: a stream that ends without a word this soon after
// another of its group was told of an upgrade was ended by it too.
// resumeQuiet: resumes this far apart are not "in a row".
const resumeWindow = 5 * time.Second

var resumeQuiet = 30 * time.Second // a variable: tests make it short

func newResumable(s *session, what, again string, st *session, g *streamGroup) *resumable {
	return &resumable{s: s, what: what, again: again, cur: st, group: g}
}

// follow reads the stream, calling line with each line, until it ends
// otherwise than by an upgrade in place.
func (r *resumable) follow(line func(string) error) streamEnd {
	empty := 0 // resumes in a row with no line between
	for {
		r.mu.Lock()
		st := r.cur
		r.mu.Unlock()
		got := false
		end := readStream(st, func(l string) error {
			got = true
			return line(l)
		})
		if r.ended() { // ended by the command (end): no resume
			if end.resume || end.closed {
				end = streamEnd{}
			}
			return end
		}
		if got || time.Since(r.resumed) >= resumeQuiet {
			// lines came, or the last upgrade was long ago: a quiet
			// stream across upgrades days apart is no loop
			empty = 0
		}
		switch {
		case end.silent():
			// another stream of the group told of an upgrade, not this
			// one: its connection was closed by the same drain
			if !r.group.endClean(r.resumed) {
				return end
			}
		case !end.resume:
			r.group.finish()
			return end
		}
		r.group.tell()
		first, ok := r.group.resume()
		if !ok { // another stream of the group ended for good
			return streamEnd{}
		}
		if !got {
			if empty++; empty > resumeTries {
				r.group.finish()
				return streamEnd{err: fmt.Errorf("%s: cfkd ended the stream for an upgrade %d times in a row with nothing between: giving up", r.what, empty)}
			}
			if empty > 1 {
				time.Sleep(min(resumePause<<(empty-2), resumeMaxPause))
			}
		}
		r.resumed = time.Now()
		if first {
			fmt.Fprintf(r.s.env.stderr, "cfkctl: %s: cfkd is being upgraded in place: following again (what happens meanwhile is not shown)\n", r.what)
			if r.onResume != nil {
				r.onResume()
			}
		}
		req := r.again
		if end.unread && r.sent != "" {
			req = r.sent // nothing of it was shown: asked again whole
		}
		next, err := openStream(r.s.opts, r.s.env, req)
		if err != nil {
			r.group.finish()
			return streamEnd{err: err}
		}
		r.mu.Lock()
		if r.stopped {
			r.mu.Unlock()
			next.conn.Close()
			return streamEnd{}
		}
		r.cur = next
		if req == r.again {
			r.sent = ""
		}
		r.mu.Unlock()
		st.conn.Close()
	}
}

// session is the stream's connection now (for the line callback of
// follow, which runs where follow does).
func (r *resumable) session() *session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// end ends the stream as the client's end of input does (REFERENCE §1.5):
// cfkd writes the lines it holds for it, then closes; follow reads them,
// and resumes no more.
func (r *resumable) end() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if cw, ok := r.cur.conn.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		return
	}
	r.cur.conn.Close()
}

func (r *resumable) ended() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped
}

// stop closes the stream's connection, and any it opens from now on.
func (r *resumable) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.cur.conn.Close()
}

// resume records a resume of a stream of the group: false once a
// stream of it ended for good (the command ends); first when it is the
// first of the streams an upgrade ends at once (the one that says so).
func (g *streamGroup) resume() (first, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.finished {
		return false, false
	}
	now := time.Now()
	g.resumed = now
	if now.Sub(g.noticed) < time.Second {
		return false, true
	}
	g.noticed = now
	return true, true
}

// endClean says whether a stream that ended without a word (its
// connection closed), whose own last resume was at self, resumes: when
// another stream of the group was told of an upgrade within resumeWindow.
// Else the stream ended for good, and so does the group.
func (g *streamGroup) endClean(self time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if !g.finished && !g.resumed.IsZero() && now.Sub(g.resumed) < resumeWindow && now.Sub(self) >= resumeWindow {
		return true
	}
	g.finished = true
	return false
}

// tell records that a stream of the group was told of an upgrade.
func (g *streamGroup) tell() {
	g.mu.Lock()
	g.told = time.Now()
	g.mu.Unlock()
}

// toldNear says whether a stream of the group was told of an upgrade
// within resumeWindow of t, before or after: a stream closed without a
// word then was closed by the upgrade's drain (its request not read
// yet), not lost with its cfkd.
func (g *streamGroup) toldNear(t time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.told.IsZero() && g.told.Sub(t).Abs() < resumeWindow
}

func (g *streamGroup) finish() {
	g.mu.Lock()
	g.finished = true
	g.mu.Unlock()
}

// resumedWithin says whether a stream of the group resumed within d.
func (g *streamGroup) resumedWithin(d time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.resumed.IsZero() && time.Since(g.resumed) < d
}
