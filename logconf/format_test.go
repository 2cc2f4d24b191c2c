package logconf

import (
	"errors"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// fixedClock makes every record show 2024-05-06T07:08:09.123+02:00.
func fixedClock(t *testing.T) {
	t.Helper()
	old := clock
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("CEST", 2*3600))
	clock = func(time.Time) time.Time { return at }
	t.Cleanup(func() { clock = old })
}

const ts = "2024-05-06T07:08:09.123+02:00"

func entry(level logrus.Level, msg string, fields logrus.Fields) *logrus.Entry {
	e := logrus.NewEntry(logrus.New())
	e.Data, e.Level, e.Message = fields, level, msg
	return e
}

func TestFormat(t *testing.T) {
	fixedClock(t)
	tests := []struct {
		name     string
		e        *logrus.Entry
		fromSvc  bool
		text     string
		jsonLine string
	}{
		{
			"cfkd event without fields",
			entry(logrus.InfoLevel, "socket bound", logrus.Fields{}), false,
			ts + " - INFO cfkd - socket bound\n",
			`{"time":"` + ts + `","level":"info","category":"cfkd","pid":null,"msg":"socket bound"}` + "\n",
		},
		{
			"cfkd event with fields, pid and quoting",
			entry(logrus.WarnLevel, "child exited", logrus.Fields{
				"service": "web1", "pid": 4242, "status": 1, "error": errors.New("exit status 1"),
				"empty": "", "eq": "a=b", "msg": "clash",
			}), false,
			ts + ` 4242 WARN cfkd - child exited empty="" eq="a=b" error="exit status 1" msg=clash service=web1 status=1` + "\n",
			`{"time":"` + ts + `","level":"warn","category":"cfkd","pid":4242,"msg":"child exited",` +
				`"empty":"","eq":"a=b","error":"exit status 1","fields.msg":"clash","service":"web1","status":1}` + "\n",
		},
		{
			"cfkd event with its own category",
			entry(logrus.DebugLevel, "spawned\n", logrus.Fields{"category": "protoactor", "actor": "a/b"}), false,
			ts + " - DEBUG protoactor - spawned actor=a/b\n",
			`{"time":"` + ts + `","level":"debug","category":"protoactor","pid":null,"msg":"spawned","actor":"a/b"}` + "\n",
		},
		{
			"service stdout line is printed raw",
			entry(logrus.InfoLevel, `GET /x?a=b "quoted"  <html>`, logrus.Fields{
				"category": "service.web1.out", "service": "web1", "pid": 77,
			}), true,
			ts + ` 77 INFO service.web1.out - GET /x?a=b "quoted"  <html>` + "\n",
			`{"time":"` + ts + `","level":"info","category":"service.web1.out","pid":77,"msg":"GET /x?a=b \"quoted\"  <html>","service":"web1"}` + "\n",
		},
		{
			"service stderr line",
			entry(logrus.ErrorLevel, "boom", logrus.Fields{"category": "service.web1.err", "service": "web1", "pid": 77}), true,
			ts + " 77 ERROR service.web1.err - boom\n",
			`{"time":"` + ts + `","level":"error","category":"service.web1.err","pid":77,"msg":"boom","service":"web1"}` + "\n",
		},
		{
			"service line without category",
			entry(logrus.ErrorLevel, "boom", logrus.Fields{"service": "db", "pid": 8}), true,
			ts + " 8 ERROR service.db.err - boom\n",
			`{"time":"` + ts + `","level":"error","category":"service.db.err","pid":8,"msg":"boom","service":"db"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := originOf(tt.e, tt.fromSvc)
			if got := string(format(false, tt.e, o)); got != tt.text {
				t.Errorf("text:\n got %q\nwant %q", got, tt.text)
			}
			if got := string(format(true, tt.e, o)); got != tt.jsonLine {
				t.Errorf("json:\n got %s\nwant %s", got, tt.jsonLine)
			}
		})
	}
}

func TestFormatterRecognisesServiceLines(t *testing.T) {
	fixedClock(t)
	f := Formatter(Default())
	b, _ := f.Format(entry(logrus.InfoLevel, "hi", logrus.Fields{"category": "service.w.out", "service": "w", "pid": 3}))
	if want := ts + " 3 INFO service.w.out - hi\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	b, _ = f.Format(entry(logrus.InfoLevel, "hi", logrus.Fields{"service": "w"}))
	if want := ts + " - INFO cfkd - hi service=w\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

func TestOriginOf(t *testing.T) {
	tests := []struct {
		fields  logrus.Fields
		level   logrus.Level
		fromSvc bool
		want    origin
	}{
		{logrus.Fields{"category": "service.a.out"}, logrus.InfoLevel, false, origin{true, "a", "out"}},
		{logrus.Fields{"category": "service.a.err", "service": "b"}, logrus.InfoLevel, false, origin{true, "b", "err"}},
		{logrus.Fields{"category": "service.a"}, logrus.InfoLevel, false, origin{}},
		{logrus.Fields{"category": "service..out"}, logrus.InfoLevel, false, origin{}},
		{logrus.Fields{"service": "a"}, logrus.ErrorLevel, false, origin{}},
		{logrus.Fields{"service": "a"}, logrus.ErrorLevel, true, origin{true, "a", "err"}},
		{logrus.Fields{"service": "a"}, logrus.InfoLevel, true, origin{true, "a", "out"}},
		{logrus.Fields{}, logrus.InfoLevel, true, origin{true, "", "out"}},
	}
	for _, tt := range tests {
		if got := originOf(entry(tt.level, "", tt.fields), tt.fromSvc); got != tt.want {
			t.Errorf("originOf(%v, %v, %v) = %+v, want %+v", tt.fields, tt.level, tt.fromSvc, got, tt.want)
		}
	}
}

// A record of cfkd's is one line (REFERENCE §6.2), whatever its message
// quotes: an exec error naming a program whose name holds a newline, an
// audit record of a request line holding a CR or an escape sequence. A
// service's own line stays as it wrote it.
func TestEventMessageControlsEscaped(t *testing.T) {
	fixedClock(t)
	f := Formatter(Default())
	msg := "x: cannot start: exec /a\n" + ts + " - ERROR cfkd - forged\rb\x1b[2Kc\x7fd\te"
	b, _ := f.Format(entry(logrus.ErrorLevel, msg, logrus.Fields{"service": "x"}))
	want := ts + ` - ERROR cfkd - x: cannot start: exec /a\n` + ts + ` - ERROR cfkd - forged\rb\x1b[2Kc\x7fd` + "\te service=x\n"
	if string(b) != want {
		t.Errorf("cfkd event:\n got %q\nwant %q", b, want)
	}
	b, _ = f.Format(entry(logrus.WarnLevel, "not authorized: service x desc=a\rb (needs admin)", logrus.Fields{"category": AuditCategory, "peer": "tcp:127.0.0.1:1"}))
	if want := ts + ` - WARN audit - not authorized: service x desc=a\rb (needs admin) peer=tcp:127.0.0.1:1` + "\n"; string(b) != want {
		t.Errorf("audit record:\n got %q\nwant %q", b, want)
	}
	b, _ = f.Format(entry(logrus.InfoLevel, "a\rb\x1bc", logrus.Fields{"category": "service.w.out", "service": "w", "pid": 3}))
	if want := ts + " 3 INFO service.w.out - a\rb\x1bc\n"; string(b) != want {
		t.Errorf("service line:\n got %q\nwant %q", b, want)
	}
}

// A \ in the message of one of cfkd's events is written \\ (REFERENCE
// §6.2): a message quoting a literal \n (a path, a command, a value a
// client sent) read as one that held a newline, and one quoting \x1b as
// one that held an ESC. A C1 control, a bidirectional override and a
// byte that is not UTF-8 are written \xNN, as package printable does, so
// that a caller need not escape what it logs first (escaped twice, its
// \x1b read \\x1b). An audit record's request is quoted as a Go
// string when it holds a \ (REFERENCE §5.5), its escapes kept as they
// are; a service's line is as it wrote it.
func TestEventMessageBackslashEscaped(t *testing.T) {
	fixedClock(t)
	f := Formatter(Default())
	literal, _ := f.Format(entry(logrus.ErrorLevel, `x: cannot start: exec /a\nb\x1b: no such file`, logrus.Fields{"service": "x"}))
	control, _ := f.Format(entry(logrus.ErrorLevel, "x: cannot start: exec /a\nb\x1b: no such file", logrus.Fields{"service": "x"}))
	if want := ts + ` - ERROR cfkd - x: cannot start: exec /a\\nb\\x1b: no such file service=x` + "\n"; string(literal) != want {
		t.Errorf("a literal \\n:\n got %q\nwant %q", literal, want)
	}
	if want := ts + ` - ERROR cfkd - x: cannot start: exec /a\nb\x1b: no such file service=x` + "\n"; string(control) != want {
		t.Errorf("a newline:\n got %q\nwant %q", control, want)
	}
	b, _ := f.Format(entry(logrus.InfoLevel, "a\u009b2J\u202eb caf\xe9 caf\u00e9\u00a0\u65e5", nil))
	if want := ts + ` - INFO cfkd - a\xc2\x9b2J\xe2\x80\xaeb caf\xe9 caf` + "\u00e9\u00a0\u65e5\n"; string(b) != want {
		t.Errorf("C1, bidi, not UTF-8:\n got %q\nwant %q", b, want)
	}
	b, _ = f.Format(entry(logrus.InfoLevel, `C:\dir\ ends in \`, nil))
	if want := ts + ` - INFO cfkd - C:\\dir\\ ends in \\` + "\n"; string(b) != want {
		t.Errorf("backslashes:\n got %q\nwant %q", b, want)
	}
	b, _ = f.Format(entry(logrus.WarnLevel, `not authorized: "service x cmd=printf \"a\\n\"" (needs admin)`, logrus.Fields{"category": AuditCategory, "peer": "tcp:127.0.0.1:1"}))
	if want := ts + ` - WARN audit - not authorized: "service x cmd=printf \"a\\n\"" (needs admin) peer=tcp:127.0.0.1:1` + "\n"; string(b) != want {
		t.Errorf("audit record:\n got %q\nwant %q", b, want)
	}
	b, _ = f.Format(entry(logrus.InfoLevel, `a\nb`, logrus.Fields{"category": "service.w.out", "service": "w", "pid": 3}))
	if want := ts + ` 3 INFO service.w.out - a\nb` + "\n"; string(b) != want {
		t.Errorf("service line:\n got %q\nwant %q", b, want)
	}
}
