package logconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hungRotatingFile applies text, whose services go to the rotating file
// svc.log, and holds a line of a service in its write, as a hung disk
// does: by holding the rotator's lock, which the write holds. release
// lets the write go on (also at the test's end).
func hungRotatingFile(t *testing.T, f *fixture, text string) (s *sink, release func()) {
	t.Helper()
	path := filepath.Join(f.home, "svc.log")
	f.apply(t, text)
	s = f.r.cur.Load().sinks["file:"+path]
	if s == nil || s.rot == nil {
		t.Fatalf("no rotating destination for %s", path)
	}
	s.rot.mu.Lock() // the write under way
	var once sync.Once
	release = func() { once.Do(s.rot.mu.Unlock) }
	t.Cleanup(release)
	go f.r.ServiceLine("w", "out", 7, []byte("never taken")) // written inline, or by the flusher: held
	waitFor(t, "the line held in its write", func() bool { return s.unwritten() > 0 })
	return s, release
}

// reported is what the router reported so far (without the Sync of
// syncBuffer.String, which waits for the held write).
func (f *fixture) reported() string {
	f.report.mu.Lock()
	defer f.report.mu.Unlock()
	return f.report.b.String()
}

// Router.Close outside a shutdown's drain (cfkd's end on an error, an
// upgrade's check) is not held by a rotating file whose write does not
// return: its close waited for the rotator's lock for as long as the
// write lasted. The loss is said as "up to N", and the file closes once
// the write returns.
func TestCloseDoesNotWaitForAStuckRotatingFile(t *testing.T) {
	f := newFixture(t)
	s, release := hungRotatingFile(t, f, "cfkd = file:cfkd.log\nservices = file:svc.log\nmax_size_mb = 1\n")
	within(t, closeGrace+5*time.Second, "Close", func() { f.r.Close() })
	if got := f.reported(); !strings.Contains(got, "up to 1 records lost") || !strings.Contains(got, s.name) {
		t.Errorf("the loss is not said; reported:\n%s", got)
	}
	// closed once its write returned: for good, not only without a file
	// (it had none before its first write, the one held)
	settleHung(t, f, []*sink{s}, release)
	if got := f.reported(); strings.Count(got, "lost") != 1 {
		t.Errorf("the loss is said more than once; reported:\n%s", got)
	}
}

// A reload of the log configuration (SIGUSR1) is not held by a rotating
// file whose write does not return, whether it keeps the file (reopened
// once the write returns) or drops it (closed then, its loss said "up
// to N"); and the shutdown's drain that follows, which waits for the
// reload, is not held either (REFERENCE §6.1, §7.4).
func TestReloadDoesNotWaitForAStuckRotatingFile(t *testing.T) {
	for _, tc := range []struct{ name, next, said string }{
		{"kept", "cfkd = file:cfkd.log\nservices = file:svc.log\nmax_size_mb = 1\n", "reopened once it does"},
		{"dropped", "cfkd = file:cfkd.log\nservices = file:other.log\n", "up to 1 records lost"},
		{"resized", "cfkd = file:cfkd.log\nservices = file:svc.log\nmax_size_mb = 2\n", "up to 1 records lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			s, release := hungRotatingFile(t, f, "cfkd = file:cfkd.log\nservices = file:svc.log\nmax_size_mb = 1\n")
			within(t, closeGrace+5*time.Second, "the reload", func() { f.apply(t, tc.next) })
			if got := f.reported(); !strings.Contains(got, tc.said) {
				t.Errorf("reported %q, want %q", got, tc.said)
			}
			within(t, closeGrace+5*time.Second, "the drain after the reload", func() { f.r.DrainToClose(100 * time.Millisecond) })
			settleHung(t, f, []*sink{s}, release)
		})
	}
}

// The last close of a rotating file (the sink's closer) is for good: a
// write that comes after it, one that waited for the rotator's lock
// while the close waited for it too (a write held by a hung disk), fails
// and opens nothing: it reopened the file, never closed again, its fd
// kept by cfkd.
func TestAWriteAfterTheLastCloseOfARotatorOpensNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "svc.log")
	r := newRotator(path, 1, 0)
	if err := (shutter{r}).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("late\n")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a write after the last close: %v, want os.ErrClosed", err)
	}
	if r.f != nil {
		r.f.Close()
		t.Error("a write after the last close opened the file again")
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a write after the last close made the file: %v", err)
	}
}

// hungRotatingFiles is hungRotatingFile for n services, s0 to s(n-1),
// each with a rotating file of its own, s0.log to s(n-1).log, under the
// configuration it returns; each holds a line in its write.
func hungRotatingFiles(t *testing.T, f *fixture, n int) (text string, sinks []*sink, release func()) {
	t.Helper()
	text = "cfkd = file:cfkd.log\nservices = file:svc.log\nmax_size_mb = 1\n"
	for i := range n {
		text += fmt.Sprintf("service.s%d = file:s%d.log\n", i, i)
	}
	f.apply(t, text)
	var releases []func()
	release = func() {
		for _, r := range releases {
			r()
		}
	}
	t.Cleanup(release)
	for i := range n {
		s := f.r.cur.Load().sinks["file:"+filepath.Join(f.home, fmt.Sprintf("s%d.log", i))]
		if s == nil || s.rot == nil {
			t.Fatalf("no rotating destination for s%d", i)
		}
		s.rot.mu.Lock() // the write under way
		var once sync.Once
		releases = append(releases, func() { once.Do(s.rot.mu.Unlock) })
		go f.r.ServiceLine(fmt.Sprintf("s%d", i), "out", 7, []byte("never taken"))
		waitFor(t, "the line held in its write", func() bool { return s.unwritten() > 0 })
		sinks = append(sinks, s)
	}
	return text, sinks, release
}

// settleHung ends a test of hungRotatingFile(s): it lets the held writes
// go on, closes the router, and waits until every file is closed for
// good (shut: a rotator has no file before its first write, the one
// held, so no file says nothing). A write, close or reopen left to end
// once its write returns runs on past the test otherwise, and the held
// write, whose rotator has no file yet or finds its path gone, opens it:
// after the TempDir's removal, which then failed, `directory not
// empty`, svc.log made again with the held line in it.
func settleHung(t *testing.T, f *fixture, sinks []*sink, release func()) {
	t.Helper()
	release()
	f.r.Close()
	waitFor(t, "every file closed for good", func() bool {
		for _, s := range sinks {
			s.rot.mu.Lock()
			shut := s.rot.shut && s.rot.f == nil
			s.rot.mu.Unlock()
			if !shut {
				return false
			}
		}
		return true
	})
}

// A reload that keeps or drops several rotating files whose writes do
// not return (a hung disk) waits for them all at once, a second and a
// moment in all, not that for each in turn (5.5 s for 5), holding the
// lock that the shutdown's drain takes (REFERENCE §6.2); each is said
// as when alone. Router.Close waits for them all at once too.
func TestReloadWaitsForStuckRotatingFilesAllAtOnce(t *testing.T) {
	const n = 5
	for _, tc := range []struct{ name, said string }{
		{"kept", "reopened once it does"},
		{"dropped", "up to 1 records lost"},
		{"close", "up to 1 records lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			text, sinks, release := hungRotatingFiles(t, f, n)
			start := time.Now()
			// 3 s: one bound (1.1 s) and room for a loaded machine,
			// below the 5.5 s of one after the other
			within(t, 3*time.Second, tc.name, func() {
				switch tc.name {
				case "kept":
					f.apply(t, text)
				case "dropped":
					f.apply(t, "cfkd = file:cfkd.log\nservices = file:svc.log\n")
				case "close":
					f.r.Close()
				}
			})
			t.Logf("%s took %v", tc.name, time.Since(start))
			got := f.reported()
			for _, s := range sinks {
				if !strings.Contains(got, "log destination "+s.name+": ") || strings.Count(got, s.name+": ") != 1 {
					t.Errorf("%s is not said once; reported:\n%s", s.name, got)
				}
			}
			if c := strings.Count(got, tc.said); c != n {
				t.Errorf("%q said %d times, want %d; reported:\n%s", tc.said, c, n, got)
			}
			settleHung(t, f, sinks, release)
		})
	}
}

// The shutdown's drain gives up on the rotating files whose writes do
// not return (a hung disk) all at once: one after the other, each added
// abandonCut past the drain's bound (2 s for 20), which held cfkd's exit
// (REFERENCE §7.4). Each is named, its batch counted whole.
func TestDrainGivesUpOnStuckRotatingFilesAllAtOnce(t *testing.T) {
	const n = 20
	f := newFixture(t)
	_, sinks, release := hungRotatingFiles(t, f, n)
	var given []Unwritten
	start := time.Now()
	// 1.5 s: the drain's 100 ms and abandonCut, and room for a loaded
	// machine, below the 2.1 s of one after the other
	within(t, 1500*time.Millisecond, "the drain", func() { given = f.r.DrainToClose(100 * time.Millisecond) })
	t.Logf("the drain took %v", time.Since(start))
	names := map[string]bool{}
	for _, w := range given {
		names[w.Destination] = true
		if w.Exact || w.Records != 1 {
			t.Errorf("%s: %d records (exact %v), want up to 1", w.Destination, w.Records, w.Exact)
		}
	}
	for _, s := range sinks {
		if !names[s.name] {
			t.Errorf("%s is not given up on: %v", s.name, given)
		}
	}
	settleHung(t, f, sinks, release)
}
