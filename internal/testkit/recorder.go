package testkit

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/cfk/cfk/messages"
)

// Recorder records every messages.ServiceStateChanged published on an
// event stream, under a lock, and wakes its waiters on each one. It keeps
// a cursor per service, so that Expect and ExpectSeq each match the next
// transitions of a service after those already matched.
type Recorder struct {
	deadline time.Duration
	also     func(ev any) bool

	es  *eventstream.EventStream
	sub *eventstream.Subscription

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every recorded event and Notify
	events  []messages.ServiceStateChanged
	cursor  map[string]int // per service: index after the last matched event
}

// NewRecorder returns a recorder whose Expect and ExpectSeq wait up to
// deadline. also, if not nil, is called under the recorder's lock with
// every other event of the stream (for the state a test keeps beside the
// transitions, such as panics); it returns true when it recorded the
// event, which then wakes the waiters. The recorder records nothing until
// Subscribe.
func NewRecorder(deadline time.Duration, also func(ev any) bool) *Recorder {
	return &Recorder{deadline: deadline, also: also, changed: make(chan struct{}), cursor: map[string]int{}}
}

// Subscribe starts recording the events of es. Call it once.
func (r *Recorder) Subscribe(es *eventstream.EventStream) {
	r.es = es
	r.sub = es.Subscribe(func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if e, ok := ev.(messages.ServiceStateChanged); ok {
			r.events = append(r.events, e)
		} else if r.also == nil || !r.also(ev) {
			return
		}
		r.notifyLocked()
	})
}

// Close stops recording.
func (r *Recorder) Close() {
	if r.sub != nil {
		r.es.Unsubscribe(r.sub)
		r.sub = nil
	}
}

// Notify wakes the waiters, for producers other than the event stream
// (a log capture, say) whose state their conditions read.
func (r *Recorder) Notify() {
	r.mu.Lock()
	r.notifyLocked()
	r.mu.Unlock()
}

func (r *Recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Locker returns the recorder's lock: the one Wait runs its condition
// under and the also function of NewRecorder is called under. Hold it to
// read what also records, or to range over All.
func (r *Recorder) Locker() sync.Locker { return &r.mu }

// All yields every recorded transition in order. The caller holds the
// lock (see Locker); the conditions of Wait do.
func (r *Recorder) All(yield func(int, messages.ServiceStateChanged) bool) {
	for i, e := range r.events {
		if !yield(i, e) {
			return
		}
	}
}

// Events returns a copy of every recorded transition. Not under the lock.
func (r *Recorder) Events() []messages.ServiceStateChanged {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]messages.ServiceStateChanged(nil), r.events...)
}

// Wait blocks until cond, called under the lock, holds, or fails t after
// d. It calls cond again after every recorded event and every Notify.
func (r *Recorder) Wait(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	timeout := time.After(d)
	for {
		r.mu.Lock()
		done, ch := cond(), r.changed
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("timed out after %v waiting for %s; events: %v", d, what, r.History())
		}
	}
}

// Expect waits for the next transition of name into state to, after the
// last one matched for that service, and returns it.
func (r *Recorder) Expect(t testing.TB, name string, to messages.State) messages.ServiceStateChanged {
	t.Helper()
	var got messages.ServiceStateChanged
	r.Wait(t, name+" → "+to.String(), r.deadline, func() bool {
		for i := r.cursor[name]; i < len(r.events); i++ {
			if e := r.events[i]; e.Name == name && e.To == to {
				got, r.cursor[name] = e, i+1
				return true
			}
		}
		return false
	})
	return got
}

// ExpectSeq waits for exactly these next transitions of name, in order,
// and returns them.
func (r *Recorder) ExpectSeq(t testing.TB, name string, states ...messages.State) []messages.ServiceStateChanged {
	t.Helper()
	var got []messages.ServiceStateChanged
	r.Wait(t, name+" sequence "+StatesText(states), r.deadline, func() bool {
		got = got[:0]
		i := r.cursor[name]
		for ; i < len(r.events) && len(got) < len(states); i++ {
			if e := r.events[i]; e.Name == name {
				got = append(got, e)
			}
		}
		if len(got) < len(states) {
			return false
		}
		r.cursor[name] = i
		return true
	})
	for i, e := range got {
		if e.To != states[i] {
			t.Fatalf("%s: transitions %v, want %s", name, Transitions(got), StatesText(states))
		}
	}
	return got
}

// ExpectNone watches name for window and fails t if it enters state to
// past its cursor.
func (r *Recorder) ExpectNone(t testing.TB, name string, to messages.State, window time.Duration) {
	t.Helper()
	r.watch(t, window, r.cursorOf(name), func(e messages.ServiceStateChanged) bool {
		return e.Name == name && e.To == to
	}, func(messages.ServiceStateChanged) {
		t.Helper()
		t.Fatalf("%s entered %s unexpectedly; events: %v", name, to, r.History())
	})
}

// ExpectNoEvent watches name (every service if name is "") for window and
// fails t on any transition past the cursor of name for which bad is true.
func (r *Recorder) ExpectNoEvent(t testing.TB, name string, window time.Duration, bad func(messages.ServiceStateChanged) bool) {
	t.Helper()
	r.watch(t, window, r.cursorOf(name), func(e messages.ServiceStateChanged) bool {
		return (name == "" || e.Name == name) && bad(e)
	}, func(e messages.ServiceStateChanged) {
		t.Helper()
		t.Fatalf("unexpected transition %s:%v→%v; events: %v", e.Name, e.From, e.To, r.History())
	})
}

// ExpectIdle watches every service for window and fails t on any state
// change recorded after the call.
func (r *Recorder) ExpectIdle(t testing.TB, window time.Duration) {
	t.Helper()
	r.mu.Lock()
	from := len(r.events)
	r.mu.Unlock()
	r.watch(t, window, func() int { return from }, func(messages.ServiceStateChanged) bool { return true },
		func(e messages.ServiceStateChanged) {
			t.Helper()
			t.Fatalf("idle tree changed: %s:%v→%v; events: %v", e.Name, e.From, e.To, r.History())
		})
}

// cursorOf returns the cursor of name, to read under the lock.
func (r *Recorder) cursorOf(name string) func() int {
	return func() int { return r.cursor[name] }
}

// watch calls fail, not under the lock, with the first transition from
// index start() on that match selects, until window ends. start and match
// run under the lock. fail is expected to end the test (t.Fatalf); watch
// returns after it anyway.
func (r *Recorder) watch(t testing.TB, window time.Duration, start func() int, match func(messages.ServiceStateChanged) bool, fail func(messages.ServiceStateChanged)) {
	t.Helper()
	end := time.After(window)
	for {
		r.mu.Lock()
		for i := start(); i < len(r.events); i++ {
			if e := r.events[i]; match(e) {
				r.mu.Unlock()
				fail(e)
				return
			}
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-end:
			return
		}
	}
}

// History returns every recorded transition as Transitions writes it.
func (r *Recorder) History() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Transitions(r.events)
}

// Transitions writes each transition as name:from→to, followed by
// (reason) when it has one.
func Transitions(evs []messages.ServiceStateChanged) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name + ":" + e.From.String() + "→" + e.To.String()
		if e.Reason != "" {
			out[i] += "(" + e.Reason + ")"
		}
	}
	return out
}

// StatesText writes states as a→b→c.
func StatesText(s []messages.State) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, "→")
}
