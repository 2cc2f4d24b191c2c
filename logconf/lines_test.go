package logconf

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
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
				lines := entryPairs(t, f, file, "ServiceLine")
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

// lineBench is the set-up of the CPU benchmarks of service lines: a
// router whose service w writes to stdout, which costs nothing; the time
// of the read, which the benchmark sets; and holds that the flusher
// resumes, waitHeld waiting for that resume when the last line held.
func lineBench(b *testing.B) (r *Router, read *time.Time, waitHeld func()) {
	r = NewRouter(b.TempDir(), logrus.New(), logrus.New())
	b.Cleanup(func() { r.Close() })
	r.stdout.w = io.Discard
	cfg, _ := Parse("b", strings.NewReader("cfkd = none\nservices = none\nservice.w.out = stdout\n"))
	if err := r.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	var held chan struct{}
	oldHold, oldTime := holdOutput, lineTime
	holdOutput = func() (func(), bool) {
		ch := make(chan struct{})
		held = ch
		return func() { close(ch) }, true
	}
	at := time.Now()
	lineTime = func() time.Time { return at }
	b.Cleanup(func() { holdOutput, lineTime = oldHold, oldTime })
	return r, &at, func() {
		if held != nil {
			<-held
			held = nil
		}
	}
}

// BenchmarkServiceLineCPU is ServiceLine's own cost a line, as the output
// poller calls it (the time of the read given, the pipe held when the
// queue is full), to a destination that costs nothing.
func BenchmarkServiceLineCPU(b *testing.B) {
	r, read, waitHeld := lineBench(b)
	line := []byte(strings.Repeat("x", 99))
	b.ReportAllocs()
	b.SetBytes(int64(len(line) + 1))
	for i := 0; i < b.N; i++ {
		if i%650 == 0 { // a read of 64 KiB
			*read = time.Now()
		}
		r.ServiceLine("w", "out", 4242, line)
		waitHeld()
	}
	r.Sync()
}

// ServiceLines writes, for a run of lines, the records ServiceLine writes
// for each of them, byte for byte, in both formats.
func TestServiceLinesAsServiceLine(t *testing.T) {
	fixedClock(t)
	run := "hello\n\nwith\r\n a \"quote\"\tand tab\r\x00\xff\n"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.apply(t, "format = "+format+"\ncfkd = none\nservices = file:one.log\nservice.w = file:run.log\n")
			for _, c := range []struct {
				stream string
				pid    int
			}{{"out", 4242}, {"err", 4242}, {"out", 0}} {
				for _, line := range strings.SplitAfter(run, "\n") {
					if line != "" {
						f.r.ServiceLine("v", c.stream, c.pid, []byte(strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")))
					}
				}
				f.r.ServiceLines("w", c.stream, c.pid, osprocRun(run))
			}
			one, runs := f.read(t, "one.log"), f.read(t, "run.log")
			want := strings.ReplaceAll(one, "service.v.", "service.w.")
			if format == "json" {
				want = strings.ReplaceAll(want, `"service":"v"`, `"service":"w"`)
			}
			if runs != want || strings.Count(want, "\n") != 12 {
				t.Errorf("got\n%s\nwant\n%s", runs, want)
			}
		})
	}
}

// Lines logged nowhere (the level, the destination none) are taken all
// the same: the Tail keeps what the logger took.
func TestServiceLinesNowhere(t *testing.T) {
	f := newFixture(t)
	f.apply(t, "level = error\ncfkd = none\nservices = none\nservice.w = file:w.log\n")
	for _, c := range []struct{ service, stream string }{{"x", "err"}, {"w", "out"}} {
		lines := osprocRun("a\nb\n")
		f.r.ServiceLines(c.service, c.stream, 1, lines)
		if !lines.Empty() {
			t.Errorf("%s.%s: lines left", c.service, c.stream)
		}
	}
}

// A run whose destination fills up in its middle holds the pipe after the
// line that found the queue full, and leaves the rest of the run to the
// poller, as ServiceLine a line at a time would; in both formats.
func TestServiceLinesHold(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) { serviceLinesHold(t, format) })
	}
}

func serviceLinesHold(t *testing.T, format string) {
	holds := installFakeHolds(t)
	f := newFixture(t)
	w := &gate{blocking: blocking{started: make(chan struct{}), release: make(chan struct{})}, to: f.stdout}
	f.r.stdout.w = w
	f.stdout.before = nil
	f.apply(t, "format = "+format+"\ncfkd = none\nservices = none\nservice.flood = stdout\n")
	line := strings.Repeat("x", 99) + "\n"
	run := strings.Repeat(line, 600)
	var lines osproc.Lines
	taken := 0
	within(t, 10*time.Second, "ServiceLines to a blocked destination", func() {
		for held, _ := holds.counts(); held == 0; held, _ = holds.counts() {
			all := *osprocRun(run)
			lines = all
			f.r.ServiceLines("flood", "out", 7, &lines)
			for got := all.Taken(lines); ; taken++ {
				if _, ok := got.Next(); !ok {
					break
				}
			}
		}
	})
	left := 0
	for _, ok := lines.Next(); ok; _, ok = lines.Next() {
		left++
	}
	if left == 0 || left >= 600 {
		t.Errorf("%d lines of the run left after the hold, want some", left)
	}
	if held, _ := holds.counts(); held != 1 {
		t.Errorf("%d holds for one run, want 1", held)
	}
	close(w.release)
	f.r.Sync()
	record := " INFO service.flood.out - "
	if format == "json" {
		record = `"category":"service.flood.out"`
	}
	if n := strings.Count(f.stdout.String(), record); n != taken {
		t.Errorf("%d records written, want the %d lines taken", n, taken)
	}
	if d := f.r.Dropped(); len(d) != 0 {
		t.Errorf("dropped %v", d)
	}
}

// osprocRun is text (whole lines, each ending with "\n") as the run of
// lines the output poller hands over.
func osprocRun(text string) *osproc.Lines { return osproc.RunOf([]byte(text)) }

// BenchmarkServiceLinesCPU is BenchmarkServiceLineCPU in the batch form:
// a line's share of ServiceLines given the runs of 64 KiB reads.
func BenchmarkServiceLinesCPU(b *testing.B) {
	r, read, waitHeld := lineBench(b)
	const perRead = 650 // a read of 64 KiB
	run := []byte(strings.Repeat(strings.Repeat("x", 99)+"\n", perRead))
	b.ReportAllocs()
	b.SetBytes(100)
	for i := 0; i < b.N; i += perRead {
		*read = time.Now()
		lines := osproc.RunOf(run[:min(perRead, b.N-i)*100])
		for !lines.Empty() {
			r.ServiceLines("w", "out", 4242, lines)
			waitHeld()
		}
	}
	r.Sync()
}

// An audit record's time (appendTime) and a service record's head share
// one cache: a head made after a record of a later millisecond has that
// millisecond's time, not the one it was made with before.
func TestTextCacheTimeShared(t *testing.T) {
	var c textCache
	t1 := time.Date(2026, 11, 30, 12, 0, 0, 1e6, time.UTC)
	t2 := t1.Add(5 * time.Millisecond)
	h1 := string(c.head(t1, 7, logrus.InfoLevel, "web", "out"))
	if got, want := string(c.appendTime(nil, t2)), clock(t2).Format(timeLayout); got != want {
		t.Fatalf("appendTime: %q, want %q", got, want)
	}
	h2 := string(c.head(t2, 7, logrus.InfoLevel, "web", "out"))
	if want := clock(t2).Format(timeLayout) + h1[len(clock(t1).Format(timeLayout)):]; h2 != want {
		t.Fatalf("head after a later time: %q, want %q", h2, want)
	}
}
