package osproc

import (
	"fmt"
	"testing"
	"time"
)

// TestFreezeRightAfterThaw: freezes and thaws back to back, each freeze
// coming while the poller goroutine may still be leaving the park of the
// thaw before. Every freeze must park the poller again and return the
// pipe (it returned none while p.frz still held the former freeze, and
// the thaw after it closed that freeze's channel a second time: a
// panic); a thaw with nothing frozen, before any freeze or a second one
// after a thaw, does nothing; and the last freeze really parks the
// poller: nothing is read until the thaw.
func TestFreezeRightAfterThaw(t *testing.T) {
	p, _ := testPoller(t)
	r, w := rawPipe(t)
	lines := make(chan string, 16)
	emit := func(_ int, l []byte) { lines <- string(l) }
	if err := p.addWith(r, outputFor(emit, nil, 1), pipeMeta{pid: 1, stream: "stdout", tag: "service:x"}, nil); err != nil {
		t.Fatal(err)
	}
	// thawed at the end even on failure, before the poller's stop (a
	// cleanup registered earlier, so run later), which waits for ever
	// for a parked poller goroutine
	t.Cleanup(func() { tryThaw(p) })

	if err := tryThaw(p); err != nil {
		t.Fatalf("a thaw with nothing frozen: %v", err)
	}
	end := time.Now().Add(time.Second)
	rounds := 0
	for ; rounds < 300 && time.Now().Before(end); rounds++ {
		got := freezeWithin(t, p, 2*time.Second)
		if len(got) != 1 || got[0].Fd != r {
			t.Fatalf("round %d: freeze returned %+v, want the one pipe (fd %d)", rounds, got, r)
		}
		if err := tryThaw(p); err != nil {
			t.Fatalf("round %d: thaw: %v", rounds, err)
		}
		if rounds%2 == 1 {
			if err := tryThaw(p); err != nil {
				t.Fatalf("round %d: a second thaw: %v", rounds, err)
			}
		}
	}
	if rounds < 10 {
		t.Fatalf("only %d rounds in a second", rounds)
	}

	// frozen right after a thaw, the poller reads nothing until thawed
	if err := tryThaw(p); err != nil {
		t.Fatal(err)
	}
	if got := freezeWithin(t, p, 2*time.Second); len(got) != 1 {
		t.Fatalf("freeze returned %d pipes, want 1", len(got))
	}
	if _, err := w.Write([]byte("while frozen\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-lines:
		t.Fatalf("line %q read while frozen", l)
	case <-time.After(50 * time.Millisecond):
	}
	if err := tryThaw(p); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-lines:
		if l != "while frozen" {
			t.Fatalf("line %q after the thaw, want %q", l, "while frozen")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no line within 2s of the thaw")
	}
}

// freezeWithin is p.freeze, failing the test if it does not return
// within d (the poller goroutine never parked); it then wakes the poller
// so that the freeze can end and be thawed before the poller's stop.
func freezeWithin(t *testing.T, p *poller, d time.Duration) []FrozenPipe {
	t.Helper()
	got := make(chan []FrozenPipe, 1)
	go func() { got <- p.freeze() }()
	select {
	case pipes := <-got:
		return pipes
	case <-time.After(d):
	}
	p.mu.Lock()
	p.wakeForResume()
	p.mu.Unlock()
	select {
	case <-got:
		tryThaw(p)
	case <-time.After(d):
	}
	t.Fatalf("freeze did not return within %v: the poller goroutine never parked", d)
	return nil
}

// tryThaw is p.thaw, its panic (a freeze's channel closed twice) turned
// into an error.
func tryThaw(p *poller) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	p.thaw()
	return nil
}
