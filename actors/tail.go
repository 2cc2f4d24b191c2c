package actors

import (
	"sync"

	"github.com/cfk/cfk/osproc"
)

// DefaultTailBytes bounds the output a service's ring keeps (REFERENCE §6).
const DefaultTailBytes = 64 << 10

// maxTailLine is the longest piece of a line a ring keeps: a longer line
// (a proxy's log line may be 64 KiB) is kept in pieces of this size, as
// the output poller cuts a direct service's lines (REFERENCE §2.4).
const maxTailLine = 16 << 10

// Tail keeps the last lines of output of every service: a ring of at most
// DefaultTailBytes per service, allocated when the service first writes
// (and grown as it writes more), so that quiet services cost nothing but
// a map entry. `command tail` reads it; (*Tree).Tail gives it to code
// outside the actors (an HTTP handler).
//
// Lines reach it from the output poller's goroutine, or a flooding
// pipe's hot reader (a direct service, through Options.Lines, which the
// Tail wraps: it passes each line on to the wrapped LineLogger first;
// a hot reader's may write to a file before it returns) and from the
// proxy actors (a proxied service's lines, REFERENCE §4.4). Keeping a
// line costs a copy of the line into the ring (O(line)), plus a copy per
// follower, and a lock per line, or per run of lines (ServiceLines: the
// poller's batch form); nothing in the Tail itself waits. Lines are kept
// as the service wrote them, stdout and stderr interleaved in the order
// their runs reached the Tail, unmarked.
//
// Only declared services have a ring: the controller declares a service
// when it is created and forgets it when it is destroyed, which frees its
// ring and ends its followers. A line that comes for a name not declared
// (a destroyed service's orphans still writing) is logged, not kept.
type Tail struct {
	next LineLogger
	max  int // bytes per ring

	mu      sync.Mutex
	rings   map[string]*ring // declared services; nil until one writes
	follows map[string]map[*Feed]struct{}
	// gens is the declaration of each declared service, a number no
	// earlier declaration had (gen counts them): the runs of a service
	// destroyed and declared again under its name keep their lines out
	// of the new one's ring (their orphans, still writing while they are
	// ended, REFERENCE §6.4)
	gens map[string]uint64
	gen  uint64
}

// newTail returns a Tail that passes every line on to next and keeps
// rings of max bytes.
func newTail(next LineLogger, max int) *Tail {
	if max <= 2 {
		max = DefaultTailBytes
	}
	return &Tail{next: next, max: max, rings: map[string]*ring{}, follows: map[string]map[*Feed]struct{}{}, gens: map[string]uint64{}}
}

// ServiceLine implements LineLogger: the line is logged by the wrapped
// logger, then kept.
func (t *Tail) ServiceLine(service, stream string, pid int, line []byte) {
	t.next.ServiceLine(service, stream, pid, line)
	t.add(service, line)
}

// ServiceLines implements LinesLogger: the lines are logged by the
// wrapped logger (a line at a time, unless it is a LinesLogger), then
// those it took are kept, under one lock.
func (t *Tail) ServiceLines(service, stream string, pid int, lines *osproc.Lines) {
	t.serviceLinesOf(service, 0, stream, pid, lines)
}

// serviceLinesOf is ServiceLines for the runs of the declaration gen of
// service (Tail.declare; 0: whichever is declared): once service is
// destroyed and declared again, the lines of those runs are logged, not
// kept.
func (t *Tail) serviceLinesOf(service string, gen uint64, stream string, pid int, lines *osproc.Lines) {
	all := *lines
	if ll, ok := t.next.(LinesLogger); ok {
		ll.ServiceLines(service, stream, pid, lines)
	} else {
		for line, ok := lines.Next(); ok; line, ok = lines.Next() {
			t.next.ServiceLine(service, stream, pid, line)
		}
	}
	taken := all.Taken(*lines)
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.ringOf(service, gen)
	if r == nil {
		return
	}
	fs := t.follows[service]
	if len(fs) == 0 {
		// a line costs the ring at least what it takes in the run (2
		// bytes besides its text, against its "\n" or "\r\n"): the lines
		// followed by t.max bytes of the run would be dropped by the end
		// of it; no need to copy them
		taken.SkipTo(t.max)
		if taken.KeepCostAtLeast(t.max - 1) {
			// and the lines left push out all the ring holds (the
			// newest line it holds costs 2 bytes at least): a flood.
			// Keep them as they are, one copy, and cut them into the
			// ring only once someone reads it
			r.keepRaw(taken)
			return
		}
		if !r.raw.Empty() && r.raw.Len()+taken.Len() <= 2*t.max && r.raw.Append(taken) {
			return // a line between two runs of the flood (a read cut it)
		}
	}
	r.settle(t)
	t.keepLines(r, fs, taken)
}

// keepLines keeps lines in r (keep, with a faster path when nobody
// follows). t.mu is held.
func (t *Tail) keepLines(r *ring, fs map[*Feed]struct{}, lines osproc.Lines) {
	cut := min(maxTailLine, t.max-2)
	for line, ok := lines.Next(); ok; line, ok = lines.Next() {
		if len(fs) == 0 && len(line) <= cut {
			r.add(line, t.max) // the common case: nobody follows
			continue
		}
		t.keep(r, fs, line)
	}
}

// add keeps a line of service (copied).
func (t *Tail) add(service string, line []byte) { t.addOf(service, 0, line) }

// addOf is add for the runs of the declaration gen of service (0:
// whichever is declared): once service is destroyed and declared again,
// the line is not kept.
func (t *Tail) addOf(service string, gen uint64, line []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.ringOf(service, gen); r != nil {
		r.settle(t)
		t.keep(r, t.follows[service], line)
	}
}

// formerTailGen is the declaration of the lines of a service's process
// that no declaration of it now is (a destroyed one's, kept by an
// upgrade in place): no ring takes them, they are logged only (REFERENCE
// §6.4). declare never gives it (a counter from 1).
const formerTailGen = ^uint64(0)

// ringOf is the ring of service, made when it first writes; nil when
// service is not declared, or is declared anew since the declaration
// gen (0: any). t.mu is held.
func (t *Tail) ringOf(service string, gen uint64) *ring {
	r, ok := t.rings[service]
	if !ok || gen != 0 && t.gens[service] != gen {
		return nil
	}
	if r == nil {
		r = &ring{}
		t.rings[service] = r
	}
	return r
}

// keep adds line to r and pushes it to the followers fs, in pieces of
// maxTailLine. t.mu is held.
func (t *Tail) keep(r *ring, fs map[*Feed]struct{}, line []byte) {
	cut := min(maxTailLine, t.max-2)
	for {
		piece := line
		if len(piece) > cut {
			piece = piece[:cut]
		}
		r.add(piece, t.max)
		for f := range fs {
			f.push(append([]byte(nil), piece...))
		}
		line = line[len(piece):]
		if len(line) == 0 {
			return
		}
	}
}

// declare makes service one whose lines are kept (a service just
// created), and returns its declaration, for serviceLinesOf.
func (t *Tail) declare(service string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.rings[service]; !ok {
		t.rings[service] = nil
		t.gen++
		t.gens[service] = t.gen
	}
	return t.gens[service]
}

// forget frees the ring of service (destroyed) and ends its followers,
// once they have taken the lines queued for them.
func (t *Tail) forget(service string) {
	t.mu.Lock()
	delete(t.rings, service)
	delete(t.gens, service)
	fs := t.follows[service]
	delete(t.follows, service)
	t.mu.Unlock()
	for f := range fs {
		f.endWith("service " + service + " was destroyed")
	}
}

// Declared reports whether service is declared (its lines are kept).
func (t *Tail) Declared(service string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.rings[service]
	return ok
}

// Last returns the last n lines service wrote, oldest first (fewer when
// it wrote fewer, or when the ring holds fewer: it keeps DefaultTailBytes
// of them), as copies the caller owns. A line longer than 16 KiB is kept
// as its pieces of 16 KiB. An unknown service, or one that wrote nothing,
// has none.
func (t *Tail) Last(service string, n int) [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rings[service]
	r.settle(t)
	return r.last(n)
}

// Follow returns a feed of the lines of service: its last n lines (as
// Last returns them), then every line it writes from now on, in order,
// until the feed is closed, cut off (its reader fell behind by more than
// b, DefaultBacklog when zero: see Feed), or the service is destroyed
// (the feed then ends with ErrFeedClosed, after its queued lines). Each
// line is the reader's own. A service that is not declared (unknown, or
// destroyed) gives a feed that has ended.
func (t *Tail) Follow(service string, n int, b Backlog) *Feed { return t.follow(service, n, b, nil) }

// follow is Follow with onCut, called once when the feed is cut off (in
// the goroutine of the line: it must not block).
func (t *Tail) follow(service string, n int, b Backlog, onCut func()) *Feed {
	f := newFeed(b)
	f.onCut = onCut
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.rings[service]
	if !ok {
		f.closed = true
		f.signal()
		return f
	}
	r.settle(t)
	last := r.last(n)
	// the last lines are what the reader asked for (REFERENCE §1.4): the
	// backlog bounds what piles up after them, so it takes them all
	// (the ring holds DefaultTailBytes of them)
	size := 0
	for _, l := range last {
		size += len(l)
	}
	f.max.Lines, f.max.Bytes = max(f.max.Lines, len(last)), max(f.max.Bytes, size)
	for _, l := range last {
		f.push(l)
	}
	fs := t.follows[service]
	if fs == nil {
		fs = map[*Feed]struct{}{}
		t.follows[service] = fs
	}
	fs[f] = struct{}{}
	f.detach = func() {
		t.mu.Lock()
		if fs := t.follows[service]; fs != nil {
			delete(fs, f)
			if len(fs) == 0 {
				delete(t.follows, service)
			}
		}
		t.mu.Unlock()
	}
	return f
}

// ring is the last lines of one service, in a circular buffer of bytes:
// each line is a 2-byte length (big endian) then its bytes, possibly
// wrapping around the end. The buffer starts small and doubles up to the
// ring's bound as lines come; then the oldest lines make room.
//
// In a flood (a run of lines that pushes out all the ring holds), the
// ring keeps that run as it was read instead (raw: one copy, no line
// cut), and its buffer goes; the lines that follow are added to that run
// uncut while it stays under twice the bound. The lines are cut into a
// buffer again (settle) once the ring is read, a follower comes, or a
// run comes that neither pushes everything out nor can be added. Either
// way a ring holds at most about twice its bound.
type ring struct {
	buf   []byte
	start int // offset of the oldest line's length
	used  int // bytes of lines (with their lengths) kept
	count int // lines kept

	raw osproc.Lines // when not empty, every line the ring holds, as read
}

// keepRaw makes lines, a run that pushes out every line r holds, all that
// r holds, uncut (copied: the run is only valid during the call).
func (r *ring) keepRaw(lines osproc.Lines) {
	r.raw = lines.Copy(r.raw.Bytes()) // never empty: its lines push out a ring
	r.buf, r.start, r.used, r.count = nil, 0, 0, 0
}

// settle cuts the run a flood left (keepRaw) into the ring's lines, as t
// would have kept them one by one. t.mu is held; a nil ring has none.
func (r *ring) settle(t *Tail) {
	if r == nil || r.raw.Empty() {
		return
	}
	lines := r.raw
	r.raw = osproc.Lines{}
	t.keepLines(r, nil, lines)
}

// add keeps line (at most maxTailLine bytes), dropping the oldest lines
// if it needs their room; limit bounds the buffer.
func (r *ring) add(line []byte, limit int) {
	need := 2 + len(line)
	if need > limit {
		return // the Tail cuts lines to fit
	}
	if r.used+need > len(r.buf) && len(r.buf) < limit {
		r.grow(min(limit, max(2*len(r.buf), r.used+need, 512)))
	}
	n := len(r.buf)
	for r.used+need > n {
		l := 2 + (int(r.buf[r.start])<<8 | int(r.byteAt(1)))
		if r.start += l; r.start >= n {
			r.start -= n
		}
		r.used -= l
		r.count--
	}
	at := r.start + r.used
	if at >= n {
		at -= n
	}
	if at+need <= n { // no wrap: the common case
		r.buf[at], r.buf[at+1] = byte(len(line)>>8), byte(len(line))
		copy(r.buf[at+2:], line)
	} else {
		at = r.put(at, []byte{byte(len(line) >> 8), byte(len(line))})
		r.put(at, line)
	}
	r.used += need
	r.count++
}

// grow moves the lines into a buffer of size n, from its start.
func (r *ring) grow(n int) {
	buf := make([]byte, n)
	if r.used > 0 {
		end := r.start + r.used
		if end <= len(r.buf) {
			copy(buf, r.buf[r.start:end])
		} else {
			k := copy(buf, r.buf[r.start:])
			copy(buf[k:], r.buf[:end-len(r.buf)])
		}
	}
	r.buf, r.start = buf, 0
}

// byteAt is the byte i bytes after the oldest line's start.
func (r *ring) byteAt(i int) byte { return r.buf[(r.start+i)%len(r.buf)] }

// put writes b at offset at, wrapping around; it returns the offset after.
func (r *ring) put(at int, b []byte) int {
	k := copy(r.buf[at:], b)
	copy(r.buf, b[k:])
	return (at + len(b)) % len(r.buf)
}

// last copies out the last n lines, oldest first (nil ring: none).
func (r *ring) last(n int) [][]byte {
	if r == nil || n <= 0 || r.count == 0 {
		return nil
	}
	skip := max(0, r.count-n)
	out := make([][]byte, 0, r.count-skip)
	off := 0
	for i := 0; i < r.count; i++ {
		l := (int(r.byteAt(off))<<8 | int(r.byteAt(off+1)))
		if i >= skip {
			line := make([]byte, l)
			p := (r.start + off + 2) % len(r.buf)
			k := copy(line, r.buf[p:])
			copy(line[k:], r.buf[:l-k])
			out = append(out, line)
		}
		off += 2 + l
	}
	return out
}
