package logconf

import (
	"strconv"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// ServiceLine writes one line that service wrote on stream ("out" or
// "err"), exactly as the service logger's entry
//
//	WithFields{"category": "service.NAME.STREAM", "service": NAME, "pid": PID}
//	.Log(info for out, error for err, line)
//
// would be written, but without making a logrus entry: no map, no copy of
// it, no hook list, no lock of the logger. It honours the service logger's
// level like logrus does; pid 0 means none. It is ServiceLines of that
// one line (the output poller hands runs over; a line alone comes from
// elsewhere, or continues a read before).
func (r *Router) ServiceLine(service, stream string, pid int, line []byte) {
	r.ServiceLines(service, stream, pid, osproc.LinesOf(line))
}

// ServiceLines writes a run of lines of one stream of one process, as
// the output poller hands them over (osproc.Lines), each as ServiceLine
// says: the level, the clock and the route are looked up once for the
// run, the destination's lock taken once, and each line's record is
// formatted straight into its queue. Past
// the queue's bound the pipe is held after the line that found it full,
// and the lines not taken are read again on its resume (REFERENCE §6.2).
func (r *Router) ServiceLines(service, stream string, pid int, lines *osproc.Lines) {
	lvl := logrus.InfoLevel
	if stream == "err" {
		lvl = logrus.ErrorLevel
	}
	if r.serviceLog != nil && !r.serviceLog.IsLevelEnabled(lvl) {
		skipLines(lines)
		return
	}
	now := lineTime()
	o := origin{service: true, name: service, stream: stream}
	routed := r.deliver(o, func(st *state, s *sink) bool {
		if st.cfg.json { // the rare format: through the entry formatter, byte for byte
			return s.putLines(lines, len(service)+256, true, r.report, nil, func(b, _, line []byte) []byte {
				return append(b, serviceJSON(now, pid, lvl, service, stream, line, o)...)
			})
		}
		// the head is the same for the whole run: one time, one stream of
		// one process; made from the destination's cache, under its lock
		head := func(c *textCache) []byte { return c.head(now, pid, lvl, service, stream) }
		return s.putLines(lines, len(service)+96, false, r.report, head, appendRecord)
	})
	if !routed {
		skipLines(lines) // taken: their destination is none
	}
}

// serviceJSON is the JSON record of a service's line (the rare format:
// through the entry formatter, byte for byte).
func serviceJSON(now time.Time, pid int, lvl logrus.Level, service, stream string, line []byte, o origin) []byte {
	fields := logrus.Fields{"category": "service." + service + "." + stream, "service": service}
	if pid != 0 {
		fields["pid"] = pid
	}
	return formatJSON(&logrus.Entry{Data: fields, Time: now, Level: lvl, Message: string(line)}, o)
}

// skipLines takes every line left (logged nowhere: the level, or the
// destination none): the caller sees them taken, as logged (the Tail then
// keeps them).
func skipLines(lines *osproc.Lines) {
	for _, ok := lines.Next(); ok; _, ok = lines.Next() {
	}
}

// lineTime is osproc.LineTime (tests replace it).
var lineTime = osproc.LineTime

// appendRecord appends a service line's record: head (textCache.head),
// then line, one trailing "\n" of it dropped, then "\n".
func appendRecord(b, head, line []byte) []byte {
	b = append(b, head...)
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	b = append(b, line...)
	return append(b, '\n')
}

// textCache is what a destination keeps of the last service record it
// formatted (sink.text), guarded by the sink's lock.
type textCache struct {
	ms   int64  // the Unix millisecond of the time given (before clock)
	time []byte // its text; nil: none yet

	service, stream string
	pid             int
	lvl             logrus.Level
	prefix          []byte // " PID LEVEL service.NAME.STREAM - "
	ready           []byte // time then prefix; empty: to be made again
}

// appendTime appends clock(t) as timeLayout, from the same cache as head
// (a change of the millisecond makes head's text again).
func (c *textCache) appendTime(b []byte, t time.Time) []byte {
	c.setTime(t)
	return append(b, c.time...)
}

// setTime makes the time text of t, once a millisecond: a flood of lines
// (which share the time of their read) reuses it, without a zone lookup.
func (c *textCache) setTime(t time.Time) {
	if ms := t.UnixMilli(); ms != c.ms || c.time == nil {
		c.ms = ms
		c.time = clock(t).AppendFormat(c.time[:0], timeLayout)
		c.ready = c.ready[:0]
	}
}

// head is the text of a service record before its line, for time t and
// that stream of that process: "TIME PID LEVEL service.NAME.STREAM - ".
// Valid until the next call.
func (c *textCache) head(t time.Time, pid int, lvl logrus.Level, service, stream string) []byte {
	c.setTime(t)
	if c.service != service || c.stream != stream || c.pid != pid || c.lvl != lvl || c.prefix == nil {
		c.service, c.stream, c.pid, c.lvl = service, stream, pid, lvl
		p := append(c.prefix[:0], ' ')
		if pid != 0 {
			p = strconv.AppendInt(p, int64(pid), 10)
		} else {
			p = append(p, '-')
		}
		p = append(p, ' ')
		p = append(p, levelName(lvl)...)
		p = append(p, " service."...)
		p = append(p, service...)
		p = append(p, '.')
		p = append(p, stream...)
		c.prefix = append(p, " - "...)
		c.ready = c.ready[:0]
	}
	if len(c.ready) == 0 {
		c.ready = append(append(c.ready, c.time...), c.prefix...)
	}
	return c.ready
}
