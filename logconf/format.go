package logconf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// timeLayout is RFC 3339 with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// clock gives the time a record shows; tests replace it with a fixed one.
var clock = func(t time.Time) time.Time { return t.Local() }

// levelNames are the text format's level names (log4perl's), by level
// (logrus.PanicLevel is 0, TraceLevel 6).
var levelNames = [...]string{
	logrus.PanicLevel: "PANIC", logrus.FatalLevel: "FATAL", logrus.ErrorLevel: "ERROR",
	logrus.WarnLevel: "WARN", logrus.InfoLevel: "INFO", logrus.DebugLevel: "DEBUG",
	logrus.TraceLevel: "TRACE",
}

func levelName(l logrus.Level) string {
	if l < logrus.Level(len(levelNames)) {
		return levelNames[l]
	}
	return strings.ToUpper(l.String())
}

// origin is what routing and formatting need to know about an entry.
type origin struct {
	service bool // a line a service wrote, not one of cfkd's events
	// name is the service's name ("" when unknown); for one of cfkd's
	// events, AuditCategory when it is an audit record (routed apart)
	name   string
	stream string // "out" or "err" (service lines only)
}

// AuditCategory is the category of the audit records, routed by the
// `audit` key (REFERENCE §5.5).
const AuditCategory = "audit"

// originOf classifies e. An entry whose category is service.NAME.out or
// service.NAME.err is a service line; so is every entry of the service
// logger (fromServiceLog), its stream then taken from its level (error and
// worse: err). Anything else is one of cfkd's events.
func originOf(e *logrus.Entry, fromServiceLog bool) origin {
	cat, _ := e.Data["category"].(string)
	name, _ := e.Data["service"].(string)
	if rest, ok := strings.CutPrefix(cat, "service."); ok {
		for _, stream := range []string{"out", "err"} {
			if n, ok := strings.CutSuffix(rest, "."+stream); ok && n != "" {
				if name == "" {
					name = n
				}
				return origin{service: true, name: name, stream: stream}
			}
		}
	}
	if !fromServiceLog {
		if cat == AuditCategory {
			return origin{name: AuditCategory}
		}
		return origin{}
	}
	stream := "out"
	if e.Level <= logrus.ErrorLevel {
		stream = "err"
	}
	return origin{service: true, name: name, stream: stream}
}

func (o origin) category(e *logrus.Entry) string {
	if cat, _ := e.Data["category"].(string); cat != "" {
		return cat
	}
	switch {
	case !o.service:
		return "cfkd"
	case o.name == "":
		return "service"
	default:
		return "service." + o.name + "." + o.stream
	}
}

// format renders one record, newline-terminated.
func format(jsonFormat bool, e *logrus.Entry, o origin) []byte {
	if jsonFormat {
		return formatJSON(e, o)
	}
	return formatText(e, o)
}

// formatText renders TIME PID LEVEL CATEGORY - MESSAGE, then for cfkd's
// events the other fields as " key=value" in key order. One trailing newline
// of the message is dropped; a service line is left as it is, the
// control characters of one of cfkd's events are escaped (appendMessage).
func formatText(e *logrus.Entry, o origin) []byte {
	return appendEventText(nil, nil, e, o)
}

// otherKeys are the entry's field names but category and pid, sorted.
func otherKeys(e *logrus.Entry) []string {
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		if k != "category" && k != "pid" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// formatJSON renders one object: time, level, category, pid (null when
// absent), msg, then the other fields in key order (a field named time,
// level or msg is renamed fields.NAME).
func formatJSON(e *logrus.Entry, o origin) []byte {
	var b bytes.Buffer
	b.WriteString(`{"time":`)
	jsonValue(&b, clock(e.Time).Format(timeLayout))
	b.WriteString(`,"level":`)
	jsonValue(&b, strings.ToLower(levelName(e.Level)))
	b.WriteString(`,"category":`)
	jsonValue(&b, o.category(e))
	b.WriteString(`,"pid":`)
	jsonValue(&b, e.Data["pid"])
	b.WriteString(`,"msg":`)
	jsonValue(&b, strings.TrimSuffix(e.Message, "\n"))
	for _, k := range otherKeys(e) {
		name := k
		if k == "time" || k == "level" || k == "msg" {
			name = "fields." + k
		}
		b.WriteByte(',')
		jsonValue(&b, name)
		b.WriteByte(':')
		jsonValue(&b, e.Data[k])
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// jsonValue appends v as JSON: an error as its text, a value that does not
// marshal as its fmt.Sprint text.
func jsonValue(b *bytes.Buffer, v any) {
	if err, ok := v.(error); ok {
		v = fmt.Sprint(err) // fmt recovers a panicking Error (a typed nil)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		out.Reset()
		_ = enc.Encode(fmt.Sprint(v))
	}
	b.Write(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
}

// Formatter formats entries the way a Router writes them with cfg's format,
// for a logger that writes on its own (cfkd's stderr in the foreground). It
// cannot know which logger an entry came from, so an entry is printed as a
// service line when its category is service.NAME.out or service.NAME.err.
func Formatter(cfg *Config) logrus.Formatter { return formatter{json: cfg.json} }

type formatter struct{ json bool }

func (f formatter) Format(e *logrus.Entry) ([]byte, error) {
	return format(f.json, e, originOf(e, false)), nil
}

// discard is the loggers' own formatter once a Router routes them: their
// Out is io.Discard, so there is no point formatting twice.
type discard struct{}

func (discard) Format(*logrus.Entry) ([]byte, error) { return nil, nil }
