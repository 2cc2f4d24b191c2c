package logconf

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// ServiceLine writes one line that service wrote on stream ("out" or
// "err"), exactly as the service logger's entry
//
//	WithFields{"category": "service.NAME.STREAM", "service": NAME, "pid": PID}
//	.Log(info for out, error for err, line)
//
// would be written, but without making a logrus entry: no map, no copy of
// it, no hook list, no lock of the logger. It is the hot path of a chatty
// service (cfkd hands it to the actors as their actors.LineLogger). It
// honours the service logger's level like logrus does; pid 0 means none.
func (r *Router) ServiceLine(service, stream string, pid int, line []byte) {
	lvl := logrus.InfoLevel
	if stream == "err" {
		lvl = logrus.ErrorLevel
	}
	if r.serviceLog != nil && !r.serviceLog.IsLevelEnabled(lvl) {
		return
	}
	now := time.Now()
	r.mu.RLock()
	st := r.st
	if st == nil {
		r.mu.RUnlock()
		return
	}
	o := origin{service: true, name: service, stream: stream}
	s := st.route(o)
	if s == nil {
		r.mu.RUnlock()
		return
	}
	var p []byte
	if st.cfg.json {
		// the rare format: through the entry formatter, byte for byte
		fields := logrus.Fields{"category": "service." + service + "." + stream, "service": service}
		if pid != 0 {
			fields["pid"] = pid
		}
		p = formatJSON(&logrus.Entry{Data: fields, Time: now, Level: lvl, Message: string(line)}, o)
	}
	// queued, not written: the sink's flusher writes a batch at a time. A
	// text record is formatted straight into the queue.
	r.enqueue(s, len(p)+len(line)+len(service)+96, func(b []byte) []byte {
		if p != nil {
			return append(b, p...)
		}
		return appendServiceText(b, now, pid, lvl, service, stream, line)
	})
}

// appendServiceText is formatText of a service line's entry: TIME PID
// LEVEL service.NAME.STREAM - LINE, one trailing "\n" of the line dropped.
func appendServiceText(b []byte, t time.Time, pid int, lvl logrus.Level, service, stream string, line []byte) []byte {
	b = appendTime(b, t)
	b = append(b, ' ')
	if pid != 0 {
		b = strconv.AppendInt(b, int64(pid), 10)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = append(b, levelName(lvl)...)
	b = append(b, " service."...)
	b = append(b, service...)
	b = append(b, '.')
	b = append(b, stream...)
	b = append(b, " - "...)
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	b = append(b, line...)
	return append(b, '\n')
}

// stamp is a formatted time, good for its whole millisecond.
type stamp struct {
	ms   int64 // Unix milliseconds
	off  int   // zone offset, seconds east of UTC
	text []byte
}

var lastStamp atomic.Pointer[stamp]

// appendTime appends clock(t) as timeLayout. The text changes once a
// millisecond: a flood of lines reuses the last one formatted instead of
// formatting each (time formatting was a third of a line's cost).
func appendTime(b []byte, t time.Time) []byte {
	t = clock(t)
	ms := t.UnixMilli()
	_, off := t.Zone()
	if st := lastStamp.Load(); st != nil && st.ms == ms && st.off == off {
		return append(b, st.text...)
	}
	text := t.AppendFormat(nil, timeLayout)
	lastStamp.Store(&stamp{ms: ms, off: off, text: text})
	return append(b, text...)
}
