package logconf

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// fakeHolds replaces osproc.HoldOutput: every call holds (as from an
// output callback) and hands its resume to the test.
type fakeHolds struct {
	mu      sync.Mutex
	held    int // holds asked
	resumed int // resumes called
}

func installFakeHolds(t *testing.T) *fakeHolds {
	h := &fakeHolds{}
	old := holdOutput
	holdOutput = func() (func(), bool) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.held++
		once := sync.OnceFunc(func() {
			h.mu.Lock()
			h.resumed++
			h.mu.Unlock()
		})
		return once, true
	}
	t.Cleanup(func() { holdOutput = old })
	return h
}

func (h *fakeHolds) counts() (held, resumed int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.held, h.resumed
}

// within fails the test if f does not return within d: logging must never
// wait for a destination.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s blocked (more than %v)", what, d)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fileHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

// A destination that blocks (a writer stuck in write(2)): the lines of
// the services routed to it hold their pipes past the bound and are all
// kept; cfkd's events routed elsewhere are written at once; cfkd's events
// routed to it are dropped past the hard bound, never waited for, and
// counted; once it drains, the held pipes are resumed and a record says
// how many lines were dropped.
func TestBlockedDestination(t *testing.T) {
	holds := installFakeHolds(t)
	f := newFixture(t)
	w := &gate{blocking: blocking{started: make(chan struct{}), release: make(chan struct{})}, to: f.stdout}
	f.r.stdout.w = w
	f.stdout.before = nil // its Sync would wait for the blocked destination
	f.apply(t, "cfkd = file:cfkd.log\nservices = file:all.log\nservice.flood = stdout\n")
	line := []byte(strings.Repeat("x", 100))

	// the flood: until its pipe is held (the fake keeps it going, as a
	// pipe held for real would stop)
	lines := 0
	within(t, 10*time.Second, "ServiceLine to a blocked destination", func() {
		for held, _ := holds.counts(); held < 10; held, _ = holds.counts() {
			f.r.ServiceLine("flood", "out", 7, line)
			lines++
		}
	})
	<-w.started
	if lines < softMax/200 {
		t.Errorf("held after %d lines: before the soft bound", lines)
	}
	if d := f.r.Dropped(); len(d) != 0 {
		t.Errorf("service lines dropped: %v (they hold their pipe instead)", d)
	}

	// another service and cfkd's events, elsewhere, flow
	within(t, 5*time.Second, "logging elsewhere", func() {
		f.r.ServiceLine("other", "out", 8, []byte("other line"))
		f.log.Info("an event")
	})
	waitFor(t, "the other service's line", func() bool { return fileHas(filepath.Join(f.home, "all.log"), "other line") })
	waitFor(t, "cfkd's event", func() bool { return fileHas(filepath.Join(f.home, "cfkd.log"), "an event") })

	// cfkd's events to the blocked destination: dropped past the hard
	// bound, never waited for
	f.apply(t, "cfkd = stdout\nservices = file:all.log\nservice.flood = stdout\n")
	events := 0
	big := strings.Repeat("e", 10<<10) // fills the bound in a few hundred
	within(t, 10*time.Second, "events to a blocked destination", func() {
		for len(f.r.Dropped()) == 0 {
			f.log.WithField("n", events).Info("event to stdout " + big)
			events++
		}
		events-- // the last one was the first dropped
		for range 99 {
			f.log.Info("dropped too " + big)
		}
	})
	if got := f.r.Dropped()["stdout"]; got != 100 {
		t.Errorf("Dropped = %d, want 100", got)
	}

	// it drains: the held pipes resume, the drop is told, to the
	// destination and to OnDropNote's taker (cfkd's events, REFERENCE §1.6)
	notes := make(chan *logrus.Entry, 4)
	f.r.OnDropNote(func(e *logrus.Entry) { notes <- e })
	close(w.release)
	f.r.Sync()
	select {
	case e := <-notes:
		if e.Level != logrus.WarnLevel || e.Message != "100 lines dropped" || e.Data["destination"] != "stdout" {
			t.Errorf("drop note taken: %v %q %v", e.Level, e.Message, e.Data)
		}
	case <-time.After(5 * time.Second):
		t.Error("the drop note was not given to OnDropNote's taker")
	}
	if held, resumed := holds.counts(); resumed != held {
		t.Errorf("%d holds, %d resumed", held, resumed)
	}
	f.stdout.before = f.r.Sync
	out := f.stdout.String()
	note := regexp.MustCompile(`(?m)^\S+ - WARN cfkd - (\d+) lines dropped destination=stdout$`).FindStringSubmatch(out)
	if note == nil || note[1] != "100" {
		t.Fatalf("no drop note for 100 lines in stdout (%d bytes): %q", len(out), note)
	}
	if n := strings.Count(out, " INFO service.flood.out - "); n != lines {
		t.Errorf("%d flood lines written, want all %d", n, lines)
	}
	if n := strings.Count(out, " - event to stdout e"); n != events {
		t.Errorf("%d events written, want the %d taken", n, events)
	}
	// the note comes after the last event taken
	if i, j := strings.LastIndex(out, fmt.Sprintf(" n=%d\n", events-1)), strings.Index(out, "lines dropped"); i < 0 || j < i {
		t.Errorf("note at %d, last event at %d", j, i)
	}
	// and records are queued again
	f.log.Info("after")
	f.r.Sync()
	if !strings.HasSuffix(f.stdout.String(), " - INFO cfkd - after\n") {
		t.Error("no record after the drop")
	}
}

// Replacing the destination a pipe is held on resumes it: its lines go
// to the new one, even while the old one still blocks; Apply does not
// wait for the old one longer than closeGrace.
func TestApplyResumesHeldPipes(t *testing.T) {
	holds := installFakeHolds(t)
	f := newFixture(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifoReader(t, fifo); err != nil {
		t.Fatal(err)
	}
	f.apply(t, "cfkd = file:cfkd.log\nservices = file:"+fifo+"\n")
	line := []byte(strings.Repeat("y", 200))
	within(t, 10*time.Second, "ServiceLine to a FIFO nobody reads", func() {
		for held, _ := holds.counts(); held == 0; held, _ = holds.counts() {
			f.r.ServiceLine("w", "out", 7, line)
		}
	})
	start := time.Now()
	within(t, 10*time.Second, "Apply away from a blocked FIFO", func() {
		f.apply(t, "cfkd = file:cfkd.log\nservices = file:all.log\n")
	})
	if el := time.Since(start); el > closeGrace+2*time.Second {
		t.Errorf("Apply took %v", el)
	}
	if held, resumed := holds.counts(); resumed != held {
		t.Errorf("%d holds, %d resumed by Apply", held, resumed)
	}
	f.r.ServiceLine("w", "out", 7, []byte("to the new destination"))
	if !strings.Contains(f.read(t, "all.log"), "to the new destination") {
		t.Error("line not in the new destination")
	}
	// what the FIFO never took is counted as lost, not silently
	if e := f.r.WriteErrors(); len(e) != 0 {
		t.Logf("write errors of the current destinations: %v", e)
	}
}

// gate blocks every write until release is closed, then writes to to.
type gate struct {
	blocking
	to *syncBuffer
}

func (g *gate) Write(p []byte) (int, error) {
	g.blocking.Write(p)
	return g.to.Write(p)
}

// mkfifoReader makes a FIFO and opens its read end (never read), so that
// the Router can open it for writing; closed at the end of the test.
func mkfifoReader(t *testing.T, path string) error {
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return err
	}
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	t.Cleanup(func() { r.Close() })
	return nil
}

// The drop note is a record of cfkd in the destination's format.
func TestDropNote(t *testing.T) {
	fixedClock(t)
	got := string(format(false, dropNote(12, "file:/x.log"), origin{}))
	if want := ts + " - WARN cfkd - 12 lines dropped destination=file:/x.log\n"; got != want {
		t.Errorf("text: %q, want %q", got, want)
	}
	got = string(format(true, dropNote(3, "stdout"), origin{}))
	if !strings.Contains(got, `"level":"warn","category":"cfkd","pid":null,"msg":"3 lines dropped","destination":"stdout"}`) {
		t.Errorf("json: %q", got)
	}
}

// A batch longer than a rotating file's maximum size (events queued
// while the flusher waited) is written in pieces of whole records:
// nothing is refused, every record is in one file or another.
func TestRotatingBatchLongerThanMaxSize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.log")
	s, err := openFile(path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	rec := strings.Repeat("r", 999) + "\n"
	const n = 3000 // about 3 MiB in one batch
	s.mu.Lock()
	for range n {
		s.queued = append(s.queued, rec...)
	}
	s.flushing = true
	s.mu.Unlock()
	var rep strings.Builder
	s.report = &rep
	s.flush()
	if e := s.errs.Load(); e != 0 || rep.Len() != 0 {
		t.Fatalf("%d records lost: %s", e, rep.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "r*.log"))
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 1<<20 {
			t.Errorf("%s: %d bytes, over the maximum", f, len(b))
		}
		total += strings.Count(string(b), rec)
	}
	if total != n || len(files) < 3 {
		t.Errorf("%d records in %d files, want %d in 3 or more", total, len(files), n)
	}
}
