package logconf

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cfk/cfk/internal/printable"
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
		b = appendMessage(b, msg, o.name != AuditCategory)
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

// appendMessage appends the message of one of cfkd's events on one line
// (REFERENCE §6.2), whatever it quotes (an exec error naming a program
// with a newline in its name, a request line with a CR in it, a line of
// a file cfkd read): a newline and a CR are written \n and \r, the other
// control characters (tab aside: C0, DEL, C1), a bidirectional override
// and each byte that is not UTF-8 \xNN, as package printable writes them;
// printable text is kept byte for byte. With backslashes, a \ is written
// \\, so that a message quoting a literal \n or \x1b (a path, a command,
// a value a client sent) does not read as one that held a newline or an
// ESC. An audit record's message is written without (REFERENCE §5.5):
// the request it quotes holds a \ only quoted as a Go string, whose
// escapes are unambiguous already and would be doubled.
func appendMessage(b []byte, msg string, backslashes bool) []byte {
	if !needsEscaping(msg, backslashes) {
		return append(b, msg...)
	}
	for i := 0; i < len(msg); {
		size, esc := escapedAt(msg, i, backslashes)
		switch c := msg[i]; {
		case !esc:
			b = append(b, msg[i:i+size]...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\\':
			b = append(b, `\\`...)
		default:
			for _, c := range []byte(msg[i : i+size]) {
				b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			}
		}
		i += size
	}
	return b
}

// needsEscaping reports whether appendMessage writes msg otherwise than
// as it is: one scan, nothing made, for the records cfkd writes by the
// thousand.
func needsEscaping(msg string, backslashes bool) bool {
	for i := 0; i < len(msg); {
		size, esc := escapedAt(msg, i, backslashes)
		if esc {
			return true
		}
		i += size
	}
	return false
}

// escapedAt is the size of the character of msg at i (a byte that is not
// UTF-8 is one), and whether appendMessage escapes it: a control
// character (isControl), a \ with backslashes, a character not
// printable.Shown, a byte that is not UTF-8.
func escapedAt(msg string, i int, backslashes bool) (size int, esc bool) {
	if c := msg[i]; c < utf8.RuneSelf {
		return 1, isControl(rune(c)) || c == '\\' && backslashes
	}
	r, size := utf8.DecodeRuneInString(msg[i:])
	return size, r == utf8.RuneError && size == 1 || !printable.Shown(r)
}

// isControl reports whether r is a control character a record may not
// hold as it is: C0 but tab, and DEL.
func isControl(r rune) bool { return r != '\t' && (r < ' ' || r == 0x7f) }

// appendTextValue appends v, quoted when it is empty or holds a blank, a
// quote, an "=", a control character (C0, DEL, C1), a character a
// terminal would act on or not show (a bidirectional override, another
// format character: printable.Shown), or a byte that is not UTF-8: as
// the message of a record (appendMessage), a field's value is written
// so that it reads one way (REFERENCE §6.2), the quoted form escaping
// them (\u202e, \u009b, \xff). A value without any of them is written as it
// is, a \ included: only a quoted value has escapes.
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
		return r <= ' ' || r == '"' || r == '=' || r == 0x7f || r >= utf8.RuneSelf && (r == utf8.RuneError || !printable.Shown(r))
	}) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
