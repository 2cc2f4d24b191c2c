package nss

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A lookup that never answers is a TimeoutError after the timeout; the
// lookups of the same key that come meanwhile, and after the timeout,
// wait for the one in flight instead of starting another; its late answer
// goes to those still waiting, and is kept by nobody: the next lookup
// asks again.
func TestDoBoundsAndSharesALookup(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	blocked := func() (any, error) {
		calls.Add(1)
		<-release
		return "late", nil
	}
	start := time.Now()
	_, err := Do("user\x00www", `user lookup "www"`, 50*time.Millisecond, blocked)
	var te *TimeoutError
	if !errors.As(err, &te) || err.Error() != `user lookup "www" did not answer within 50ms` {
		t.Fatalf("err %v, want a TimeoutError", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answered after %v", d)
	}
	// a second and a third lookup of the name: no new goroutine
	for range 2 {
		if _, err := Do("user\x00www", `user lookup "www"`, 20*time.Millisecond, blocked); !errors.As(err, &te) {
			t.Fatalf("err %v, want a TimeoutError", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d lookups ran, want 1 in flight for the name", n)
	}
	if n := shared.InFlight(); n != 1 {
		t.Fatalf("%d in flight, want 1", n)
	}
	// one waiting when the answer comes gets it (or asks anew, if it
	// came too late to join the flight: "late" all the same)
	got := make(chan any, 1)
	go func() {
		v, _ := Do("user\x00www", `user lookup "www"`, time.Minute, blocked)
		got <- v
	}()
	deadline := time.Now().Add(10 * time.Second)
	close(release)
	select {
	case v := <-got:
		if v != "late" {
			t.Fatalf("got %v", v)
		}
	case <-time.After(time.Until(deadline)):
		t.Fatal("no answer")
	}
	// the flight deleted its key before closing done: none left
	if shared.InFlight() != 0 {
		t.Fatal("the lookup is still in flight")
	}
	// nothing kept: a new lookup asks again
	before := calls.Load()
	v, err := Do("user\x00www", `user lookup "www"`, time.Minute, func() (any, error) { calls.Add(1); return "new", nil })
	if v != "new" || err != nil || calls.Load() != before+1 {
		t.Fatalf("v %v err %v calls %d", v, err, calls.Load())
	}
}

// Lookups of other names do not wait for a stuck one.
func TestDoKeysApart(t *testing.T) {
	release := make(chan struct{})
	blocked := func() (any, error) { <-release; return nil, nil }
	// the stuck lookup of a, in flight before b is asked
	var te *TimeoutError
	if _, err := Do("group\x00a", "a", time.Millisecond, blocked); !errors.As(err, &te) {
		t.Fatalf("err %v, want a TimeoutError", err)
	}
	if n := shared.InFlight(); n != 1 {
		t.Fatalf("%d in flight, want 1", n)
	}
	v, err := Do("group\x00b", "b", time.Minute, func() (any, error) { return 2, nil })
	if v != 2 || err != nil {
		t.Fatalf("v %v err %v", v, err)
	}
	// released, and waited for: nothing left in flight
	close(release)
	if _, err := Do("group\x00a", "a", time.Minute, blocked); err != nil {
		t.Fatal(err)
	}
}

// With FailFast, a key whose lookup has been in flight for a caller's
// whole timeout fails that caller at once (a path on a hung mount):
// without it, each caller waited its timeout again. A key in flight for
// less is waited for as before, and gets the answer.
func TestFailFast(t *testing.T) {
	g := &Flights{FailFast: true}
	release := make(chan struct{})
	blocked := func() (any, error) { <-release; return "late", nil }
	var te *TimeoutError
	if _, err := g.Do("a", "env_file /mnt/a", 200*time.Millisecond, blocked); !errors.As(err, &te) {
		t.Fatalf("err %v, want a TimeoutError", err)
	}
	// at once: a caller that waited would take the timeout, 200 ms, each
	// time; one stalled that long by a loaded machine is tried again
	for try := 1; ; try++ {
		start := time.Now()
		_, err := g.Do("a", "env_file /mnt/a", 200*time.Millisecond, blocked)
		if !errors.As(err, &te) || err.Error() != "env_file /mnt/a did not answer within 200ms" {
			t.Fatalf("err %v, want a TimeoutError", err)
		}
		d := time.Since(start)
		if d < 150*time.Millisecond {
			break
		}
		if try == 3 {
			t.Fatalf("a key known not to answer failed after %v, not at once (3 tries)", d)
		}
		t.Logf("try %d failed after %v: again", try, d)
	}
	// a longer timeout than the flight's age waits, and gets the answer
	got := make(chan any, 1)
	go func() {
		v, _ := g.Do("a", "env_file /mnt/a", time.Minute, blocked)
		got <- v
	}()
	close(release)
	select {
	case v := <-got:
		if v != "late" {
			t.Fatalf("got %v", v)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
}
