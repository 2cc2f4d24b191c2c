package logconf

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// ServiceLine writes what the service logger's entry would, byte for byte,
// in both formats, routed the same way, and honours the level.
func TestServiceLineAsEntry(t *testing.T) {
	fixedClock(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.apply(t, "level = info\nformat = "+format+"\ncfkd = none\nservices = file:all.log\nservice.w.err = file:w-err.log\n")
			for _, c := range []struct {
				name, stream string
				pid          int
				msg          string
			}{
				{"w", "out", 4242, "hello"},
				{"w", "err", 4242, "oops\n"},
				{"other", "out", 0, `a "quoted" \ line with	tab`},
				{"other", "err", 77, ""},
			} {
				fields := logrus.Fields{"category": "service." + c.name + "." + c.stream, "service": c.name}
				if c.pid != 0 {
					fields["pid"] = c.pid
				}
				lvl := logrus.InfoLevel
				if c.stream == "err" {
					lvl = logrus.ErrorLevel
				}
				f.svc.WithFields(fields).Log(lvl, c.msg)
				f.r.ServiceLine(c.name, c.stream, c.pid, []byte(c.msg))
				f.r.Sync() // the entry waits for the queued line: order
			}
			for _, file := range []string{"all.log", "w-err.log"} {
				data, err := os.ReadFile(filepath.Join(f.home, file))
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
				if len(lines)%2 != 0 {
					t.Fatalf("%s: odd number of lines:\n%s", file, data)
				}
				for i := 0; i < len(lines); i += 2 {
					if lines[i] != lines[i+1] {
						t.Errorf("%s: entry and ServiceLine differ:\n%s\n%s", file, lines[i], lines[i+1])
					}
				}
				if file == "w-err.log" && len(lines) != 2 {
					t.Errorf("w-err.log: %d lines, want the 2 of w's stderr", len(lines))
				}
			}
		})
	}
	t.Run("level", func(t *testing.T) {
		f := newFixture(t)
		f.apply(t, "level = error\ncfkd = none\nservices = file:all.log\n")
		f.r.ServiceLine("w", "out", 1, []byte("dropped at level error"))
		f.r.ServiceLine("w", "err", 1, []byte("kept"))
		f.r.Sync()
		data, _ := os.ReadFile(filepath.Join(f.home, "all.log"))
		if want := ts + " 1 ERROR service.w.err - kept\n"; string(data) != want {
			t.Errorf("got %q, want %q", data, want)
		}
	})
}

func BenchmarkServiceLine(b *testing.B) {
	for _, via := range []string{"entry", "ServiceLine"} {
		b.Run(via, func(b *testing.B) {
			home := b.TempDir()
			log, svc := logrus.New(), logrus.New()
			r := NewRouter(home, log, svc)
			defer r.Close()
			cfg, _ := Parse("b", strings.NewReader("cfkd = none\nservices = file:all.log\n"))
			if err := r.Apply(cfg); err != nil {
				b.Fatal(err)
			}
			line := []byte(strings.Repeat("x", 99))
			// as the output poller: a held pipe is read again once resumed
			var held chan struct{}
			old := holdOutput
			holdOutput = func() (func(), bool) {
				ch := make(chan struct{})
				held = ch
				return func() { close(ch) }, true
			}
			defer func() { holdOutput = old }()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if via == "entry" {
					svc.WithFields(logrus.Fields{"category": "service.w.out", "service": "w", "pid": 4242}).Log(logrus.InfoLevel, string(line))
				} else {
					r.ServiceLine("w", "out", 4242, line)
				}
				if held != nil {
					<-held
					held = nil
				}
			}
			r.Sync()
		})
	}
}

// BenchmarkServiceLineCPU is ServiceLine's own cost a line, as the output
// poller calls it (the time of the read given, the pipe held when the
// queue is full), to a destination that costs nothing.
func BenchmarkServiceLineCPU(b *testing.B) {
	home := b.TempDir()
	log, svc := logrus.New(), logrus.New()
	r := NewRouter(home, log, svc)
	defer r.Close()
	r.stdout.w = io.Discard
	cfg, _ := Parse("b", strings.NewReader("cfkd = none\nservices = none\nservice.w.out = stdout\n"))
	if err := r.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 99))
	var held chan struct{}
	oldHold, oldTime := holdOutput, lineTime
	holdOutput = func() (func(), bool) {
		ch := make(chan struct{})
		held = ch
		return func() { close(ch) }, true
	}
	read := time.Now()
	lineTime = func() time.Time { return read }
	defer func() { holdOutput, lineTime = oldHold, oldTime }()
	b.ReportAllocs()
	b.SetBytes(int64(len(line) + 1))
	for i := 0; i < b.N; i++ {
		if i%650 == 0 { // a read of 64 KiB
			read = time.Now()
		}
		r.ServiceLine("w", "out", 4242, line)
		if held != nil {
			<-held
			held = nil
		}
	}
	r.Sync()
}
