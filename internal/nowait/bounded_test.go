package nowait

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"
)

// heldWriter takes its writes once released.
type heldWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (h *heldWriter) Write(p []byte) (int, error) {
	<-h.release
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got.Write(p)
}

// A writer that does not take a write (a full pipe whose reader hangs)
// holds a Bounded writer's first write d, and the writes that follow not
// at all, until it takes that write; then they go through again.
func TestBoundedDoesNotWaitForAStalledWriter(t *testing.T) {
	h := &heldWriter{release: make(chan struct{})}
	b := NewBounded(h, 50*time.Millisecond)
	start := time.Now()
	if _, err := b.Write([]byte("one\n")); !errors.Is(err, ErrStalled) {
		t.Fatalf("first write: %v, want ErrStalled", err)
	}
	if _, err := b.Write([]byte("two\n")); !errors.Is(err, ErrStalled) {
		t.Fatalf("second write: %v, want ErrStalled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("two writes to a stalled writer took %v", took)
	}
	close(h.release)
	end := time.Now().Add(10 * time.Second)
	for {
		if n, err := b.Write([]byte("three\n")); err == nil && n == 6 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("writes do not go through once the writer takes them again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if got := h.got.String(); got != "one\nthree\n" {
		t.Errorf("the writer got %q, want the stalled write then the next one taken", got)
	}
}
