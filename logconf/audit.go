package logconf

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// Event writes msg at level lvl with the fields of data as the entry
// log.WithFields(data).Log(lvl, msg) of cfkd's logger would be written,
// byte for byte, without the entries logrus makes, copies and hands to
// its hooks (tested), routed the same way and formatted straight into the
// destination's queue: cfkd hands it to the actors as their
// actors.EventLogger, for the records they make by the thousand (a
// service's lifecycle, the audit records of REFERENCE §5.5). The logger's other hooks do not see it: a caller
// gives it only what they would not take (the actors' event hook takes
// warnings and errors). It honours the logger's level and neither keeps
// nor changes data.
func (r *Router) Event(lvl logrus.Level, data logrus.Fields, msg string) {
	if r.log == nil || !r.log.IsLevelEnabled(lvl) {
		return
	}
	e := logrus.Entry{Logger: r.log, Data: data, Time: time.Now(), Level: lvl, Message: msg}
	r.write(&e, originOf(&e, false))
}

// appendEventText appends formatText's record of e to b: no Buffer, no
// sorted copy of the keys, no quoted string made per record. c, when not
// nil, is the destination's cache of the time text (used under its lock;
// the same text, tested).
func appendEventText(b []byte, c *textCache, e *logrus.Entry, o origin) []byte {
	if c != nil {
		b = c.appendTime(b, e.Time)
	} else {
		b = clock(e.Time).AppendFormat(b, timeLayout)
	}
	b = append(b, ' ')
	if pid, ok := e.Data["pid"]; ok && pid != nil {
		b = appendTextValue(b, pid)
	} else {
		b = append(b, '-')
	}
	b = append(b, ' ')
	b = append(b, levelName(e.Level)...)
	b = append(b, ' ')
	b = append(b, o.category(e)...)
	b = append(b, " - "...)
	if msg := strings.TrimSuffix(e.Message, "\n"); o.service {
		b = append(b, msg...) // a line a service wrote: as it wrote it (REFERENCE §6.2)
	} else {
		b = appendMessage(b, msg)
	}
	if !o.service {
		var room [8]string
		keys := room[:0]
		for k := range e.Data {
			if k != "category" && k != "pid" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = append(b, ' ')
			b = append(b, k...)
			b = append(b, '=')
			b = appendTextValue(b, e.Data[k])
		}
	}
	return append(b, '\n')
}

// appendMessage appends the message of one of cfkd's events, its control
// characters (tab aside) escaped as \n, \r or \xNN: a record is one line
// (REFERENCE §6.2), whatever the message quotes (an exec error naming a
// program with a newline in its name, a request line with a CR in it).
func appendMessage(b []byte, msg string) []byte {
	if !strings.ContainsFunc(msg, isControl) {
		return append(b, msg...)
	}
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; {
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c != '\t' && (c < ' ' || c == 0x7f):
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// isControl reports whether r is a control character a record may not
// hold as it is: C0 but tab, and DEL.
func isControl(r rune) bool { return r != '\t' && (r < ' ' || r == 0x7f) }

// appendTextValue appends v, quoted when it is empty or holds a blank, a
// quote, an "=" or a control character.
func appendTextValue(b []byte, v any) []byte {
	var s string
	switch x := v.(type) {
	case int: // a pid: in each record of a service's events
		return strconv.AppendInt(b, int64(x), 10)
	case string:
		s = x
	case error:
		s = fmt.Sprint(x) // an error, another number: rare (fmt recovers a panicking Error: a typed nil)
	default:
		s = fmt.Sprint(x)
	}
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '=' || r == 0x7f
	}) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
