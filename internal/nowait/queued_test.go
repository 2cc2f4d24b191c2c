package nowait

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// heldWriter takes its writes once released.
type heldWriter struct {
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	got     bytes.Buffer
	writes  int // writes begun
}

func newHeldWriter(t *testing.T) *heldWriter {
	h := &heldWriter{release: make(chan struct{})}
	t.Cleanup(h.free)
	return h
}

func (h *heldWriter) free() { h.once.Do(func() { close(h.release) }) }

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	h.writes++
	h.mu.Unlock()
	<-h.release
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got.Write(p)
}

func (h *heldWriter) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got.String()
}

// within fails t unless f returns within d (f runs on a goroutine: one
// that waits for ever is left there, and the test fails).
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// A writer that does not take a write (a full pipe whose reader hangs)
// holds none of a Queued writer's writes, the first one included: each
// is queued and returns at once; once the writer takes writes again,
// they are written, in order. The Bounded writer before it held the
// first write 1 s (a reload, a destination's flusher), REFERENCE §7.4.
func TestQueuedDoesNotWaitForAStalledWriter(t *testing.T) {
	h := newHeldWriter(t)
	b := NewQueued(h, 1<<10)
	var want strings.Builder
	start := time.Now()
	within(t, 10*time.Second, "the writes to a stalled writer", func() {
		for i := range 10 {
			line := fmt.Sprintf("line %d\n", i)
			want.WriteString(line)
			if n, err := b.Write([]byte(line)); err != nil || n != len(line) {
				t.Errorf("write %d: %d, %v", i, n, err)
			}
		}
	})
	// the bound of the writer it replaces was 1 s for the first write
	if took := time.Since(start); took >= 500*time.Millisecond {
		t.Errorf("10 writes to a stalled writer took %v", took)
	}
	h.free()
	within(t, 10*time.Second, "Flush", func() {
		if !b.Flush(10 * time.Second) {
			t.Error("Flush: the queue was not written")
		}
	})
	if got := h.String(); got != want.String() {
		t.Errorf("the writer got %q, want %q", got, want.String())
	}
}

// Past its bound the queue drops the newest writes, and says how many
// on the writer once it takes what was queued before them, where they
// would have been: before a write queued after them, or alone.
func TestQueuedDropsTheNewestAndSaysHowMany(t *testing.T) {
	for _, later := range []bool{false, true} {
		t.Run(fmt.Sprintf("later=%v", later), func(t *testing.T) {
			h := newHeldWriter(t)
			b := NewQueued(h, 10)
			b.Write([]byte("held\n")) // the write under way, held
			waitWrites(t, h, 1)
			for _, s := range []string{"one\n", "two\n"} {
				if _, err := b.Write([]byte(s)); err != nil {
					t.Fatalf("write %q: %v", s, err)
				}
			}
			for range 3 {
				if _, err := b.Write([]byte("dropped\n")); !errors.Is(err, ErrStalled) {
					t.Fatalf("a write past the bound: %v, want ErrStalled", err)
				}
			}
			want := "held\none\ntwo\ncfkd: 3 messages to stderr dropped: stderr did not take them\n"
			if later {
				h.free()
				waitWrites(t, h, 3) // held, one, two: room again
				if _, err := b.Write([]byte("three\n")); err != nil {
					t.Fatalf("a write once the writer took the queue: %v", err)
				}
				want += "three\n"
			} else {
				h.free()
			}
			if !b.Flush(10 * time.Second) {
				t.Fatal("Flush: the queue was not written")
			}
			if got := h.String(); got != want {
				t.Errorf("the writer got %q, want %q", got, want)
			}
		})
	}
}

// waitWrites waits until h has begun n writes.
func waitWrites(t *testing.T, h *heldWriter, n int) {
	t.Helper()
	end := time.Now().Add(10 * time.Second)
	for {
		h.mu.Lock()
		w := h.writes
		h.mu.Unlock()
		if w >= n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d writes begun, want %d", w, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A writer that takes its writes gets them all, in the order they were
// made, from several goroutines too (each one's in its order).
func TestQueuedLosesNothingOnAWriterThatTakesThem(t *testing.T) {
	var out syncBuffer
	b := NewQueued(&out, 256<<10)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				if _, err := fmt.Fprintf(b, "g%d %d\n", g, i); err != nil {
					t.Errorf("write: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if !b.Flush(10 * time.Second) {
		t.Fatal("Flush: the queue was not written")
	}
	next := map[string]int{}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for _, l := range lines {
		var g string
		var i int
		if _, err := fmt.Sscanf(l, "%s %d", &g, &i); err != nil || i != next[g] {
			t.Fatalf("line %q: want %s %d", l, g, next[g])
		}
		next[g]++
	}
	if len(lines) != 4000 {
		t.Errorf("%d lines written, want 4000", len(lines))
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Flush waits d at most for a stalled writer, and not at all for a
// write under way for d already: an exit after a message the writer did
// not take waits once, not for each message, nor for ever (REFERENCE
// §7.4).
func TestQueuedFlushIsBounded(t *testing.T) {
	h := newHeldWriter(t)
	b := NewQueued(h, 1<<10)
	if !b.Flush(time.Hour) {
		t.Error("Flush of an empty queue: false")
	}
	b.Write([]byte("held\n"))
	waitWrites(t, h, 1)
	b.Write([]byte("queued\n"))
	const d = time.Second
	start := time.Now()
	var ok bool
	within(t, 10*time.Second, "Flush", func() { ok = b.Flush(d) })
	if took := time.Since(start); ok || took > d+5*time.Second {
		t.Errorf("Flush of a stalled writer: %v after %v, want false after %v", ok, took, d)
	}
	// the write under way began d ago at least: not waited for again
	start = time.Now()
	within(t, 10*time.Second, "Flush", func() { ok = b.Flush(d) })
	if took := time.Since(start); ok || took >= d/2 {
		t.Errorf("Flush after the write under way waited %v already: %v after %v", d, ok, took)
	}
}
