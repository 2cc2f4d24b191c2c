package logconf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// The audit records (category audit, REFERENCE §5.5) go where the audit
// key says, and with cfkd's events when it is absent.
func TestAuditRouting(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "cfkd = file:cfkd.log\naudit = file:audit.log\n")
	f.log.Info("starting web1")
	f.log.WithFields(logrus.Fields{"category": AuditCategory, "peer": "unix:uid=0,pid=7", "right": "admin"}).
		Info("command stop service web1")
	wantFile(t, f, "cfkd.log", "- INFO cfkd - starting web1")
	wantFile(t, f, "audit.log", "- INFO audit - command stop service web1 peer=\"unix:uid=0,pid=7\" right=admin")

	f.apply(t, "cfkd = file:cfkd.log\naudit = none\n")
	f.log.WithField("category", AuditCategory).Info("dropped")
	f.apply(t, "cfkd = file:all.log\n")
	f.log.WithField("category", AuditCategory).Warn("not authorized")
	wantFile(t, f, "all.log", "- WARN audit - not authorized")
	wantFile(t, f, "audit.log", "- INFO audit - command stop service web1 peer=\"unix:uid=0,pid=7\" right=admin")

	if _, err := Parse("c", strings.NewReader("audit = somewhere\n")); err == nil ||
		err.Error() != `c:1: bad destination "somewhere" (want file:PATH, stderr, stdout or none)` {
		t.Errorf("bad audit destination: %v", err)
	}
	cfg, err := Parse("c", strings.NewReader(DefaultText()))
	if err != nil || cfg.auditSet || cfg.auditDest() != cfg.cfkd {
		t.Errorf("default audit destination: %v %v", cfg, err)
	}
}

// An audit record through Event is what the entry of cfkd's logger would write, byte for byte, in
// both formats, routed the same way, and honours the level.
func TestAuditAsEntry(t *testing.T) {
	fixedClock(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.apply(t, "level = info\nformat = "+format+"\ncfkd = file:cfkd.log\naudit = file:audit.log\n")
			for _, data := range []logrus.Fields{
				{"category": AuditCategory, "peer": "unix:uid=0,pid=7", "right": "admin"},
				{"category": AuditCategory, "peer": "tcp:127.0.0.1:4000", "right": "operate", "token": "ops"},
			} {
				for _, msg := range []string{"service web1 cmd=sleep 1", `command stop "tag" x=y`} {
					f.log.WithFields(data).Info(msg)
					f.r.Event(logrus.InfoLevel, data, msg)
				}
			}
			if lines := entryPairs(t, f, "audit.log", "Event"); len(lines) != 8 {
				t.Fatalf("%d lines, want 8:\n%s", len(lines), strings.Join(lines, "\n"))
			}
			if b, _ := os.ReadFile(filepath.Join(f.home, "cfkd.log")); len(b) != 0 {
				t.Errorf("cfkd.log got audit records:\n%s", b)
			}
		})
	}
	t.Run("level", func(t *testing.T) {
		f := newFixture(t)
		f.apply(t, "level = warn\ncfkd = file:cfkd.log\n")
		f.r.Event(logrus.InfoLevel, logrus.Fields{"category": AuditCategory, "peer": "p", "right": "admin"}, "dropped at level warn")
		f.r.Sync()
		if b, _ := os.ReadFile(filepath.Join(f.home, "cfkd.log")); len(b) != 0 {
			t.Errorf("got %q, want nothing", b)
		}
	})
}

// appendEventText with a destination's time cache writes what it writes
// without one (formatText), over entries of every kind of field.
func TestAppendEventTextCachedTime(t *testing.T) {
	values := []any{"", "plain", "with space", `a"quote`, "a=b", "tab\there", "del\x7f", "é", 42, errors.New("an error"), nil, 3.5}
	now := time.Date(2026, 11, 30, 11, 22, 33, 444_000_000, time.UTC)
	cache := &textCache{}
	n := 0
	for i, msg := range []string{"", "msg", "msg\n", "two\n\n", "unix:uid=0 x=y"} {
		for j := range 40 {
			data := logrus.Fields{}
			for k := range j % 11 {
				data[fmt.Sprintf("k%02d", (k*7+j)%13)] = values[(k+j+i)%len(values)]
			}
			switch j % 4 {
			case 0:
				data["category"] = AuditCategory
			case 1:
				data["pid"] = j
			case 2:
				data["category"], data["service"] = "service.w.out", "w"
			}
			for _, lvl := range []logrus.Level{logrus.InfoLevel, logrus.WarnLevel, logrus.ErrorLevel} {
				e := &logrus.Entry{Data: data, Time: now.Add(time.Duration(j) * time.Millisecond / 3), Level: lvl, Message: msg}
				for _, o := range []origin{originOf(e, false), originOf(e, true), {}} {
					want := formatText(e, o)
					if got := appendEventText([]byte("x"), cache, e, o); !bytes.Equal(got[1:], want) {
						t.Fatalf("appendEventText (cached time):\n%q\nformatText:\n%q", got[1:], want)
					}
					n++
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d entries", n)
	}
}

// Event writes what the entry of cfkd's logger at that level would, byte
// for byte, in both formats, and honours the level.
func TestEventAsEntry(t *testing.T) {
	fixedClock(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.apply(t, "level = info\nformat = "+format+"\ncfkd = file:cfkd.log\n")
			n := 0
			for _, lvl := range []logrus.Level{logrus.InfoLevel, logrus.DebugLevel} {
				for _, data := range []logrus.Fields{{"service": "web1"}, {"service": "web 2", "pid": 4242}} {
					for _, msg := range []string{"Stopping service web1", "child web1 terminated by SIGTERM"} {
						f.log.WithFields(data).Log(lvl, msg)
						f.r.Event(lvl, data, msg)
						if lvl == logrus.InfoLevel {
							n += 2
						}
					}
				}
			}
			if lines := entryPairs(t, f, "cfkd.log", "Event"); len(lines) != n {
				t.Fatalf("%d lines, want %d (debug is off):\n%s", len(lines), n, strings.Join(lines, "\n"))
			}
		})
	}
}
