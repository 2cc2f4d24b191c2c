package testkit

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/cfk/cfk/messages"
)

func change(name string, from, to messages.State) messages.ServiceStateChanged {
	return messages.ServiceStateChanged{Name: name, From: from, To: to}
}

func TestRecorderExpectations(t *testing.T) {
	es := eventstream.NewEventStream()
	var panics []messages.ActorPanicked
	r := NewRecorder(time.Second, func(ev any) bool {
		p, ok := ev.(messages.ActorPanicked)
		if ok {
			panics = append(panics, p)
		}
		return ok
	})
	r.Subscribe(es)
	defer r.Close()

	go func() {
		es.Publish(change("a", messages.Stopped, messages.Starting))
		es.Publish("ignored")
		es.Publish(change("b", messages.Stopped, messages.Starting))
		es.Publish(change("a", messages.Starting, messages.Running))
		es.Publish(messages.ActorPanicked{Actor: "x", Reason: "boom"})
	}()
	got := r.ExpectSeq(t, "a", messages.Starting, messages.Running)
	if len(got) != 2 || got[1].From != messages.Starting {
		t.Fatalf("ExpectSeq %v", Transitions(got))
	}
	if e := r.Expect(t, "b", messages.Starting); e.Name != "b" {
		t.Fatalf("Expect %+v", e)
	}
	r.Wait(t, "the panic", time.Second, func() bool { return len(panics) == 1 && panics[0].Reason == "boom" })
	// past the cursors nothing happens
	r.ExpectNone(t, "a", messages.Running, 10*time.Millisecond)
	r.ExpectNoEvent(t, "b", 10*time.Millisecond, func(messages.ServiceStateChanged) bool { return true })
	r.ExpectIdle(t, 10*time.Millisecond)

	want := []string{"a:stopped→starting", "b:stopped→starting", "a:starting→running"}
	if h := r.History(); !slices.Equal(h, want) {
		t.Fatalf("History %q, want %q", h, want)
	}
	if n := len(r.Events()); n != 3 {
		t.Fatalf("Events: %d", n)
	}
	r.Locker().Lock()
	n := 0
	for range r.All {
		n++
	}
	r.Locker().Unlock()
	if n != 3 {
		t.Fatalf("All yielded %d", n)
	}
}

func TestRecorderNotifyWakesWaiters(t *testing.T) {
	r := NewRecorder(time.Second, nil)
	var flag bool
	go func() {
		r.Locker().Lock()
		flag = true
		r.Locker().Unlock()
		r.Notify()
	}()
	r.Wait(t, "the flag", time.Second, func() bool { return flag })
	r.Close() // never subscribed: a no-op
}

func TestTransitionsAndStatesText(t *testing.T) {
	ev := change("s", messages.Running, messages.Fail)
	ev.Reason = "exit 1"
	if got := Transitions([]messages.ServiceStateChanged{ev}); !slices.Equal(got, []string{"s:running→fail(exit 1)"}) {
		t.Fatalf("Transitions %q", got)
	}
	if got := StatesText([]messages.State{messages.Stopped, messages.Starting}); got != "stopped→starting" {
		t.Fatalf("StatesText %q", got)
	}
}

// fatalTB records the first Fatalf and ends its goroutine, as testing.T.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fails runs check with a fatalTB in its own goroutine and returns what it
// failed with ("" if it did not).
func fails(t *testing.T, check func(testing.TB)) string {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(f)
	}()
	<-done
	return f.msg
}

func TestRecorderFailures(t *testing.T) {
	es := eventstream.NewEventStream()
	r := NewRecorder(50*time.Millisecond, nil)
	r.Subscribe(es)
	defer r.Close()
	es.Publish(change("a", messages.Stopped, messages.Starting))
	es.Publish(change("a", messages.Starting, messages.Fail))

	cases := []struct {
		check func(testing.TB)
		want  string
	}{
		{func(tb testing.TB) { r.ExpectNone(tb, "a", messages.Fail, time.Second) },
			"a entered fail unexpectedly; events: [a:stopped→starting a:starting→fail]"},
		{func(tb testing.TB) {
			r.ExpectNoEvent(tb, "", time.Second, func(messages.ServiceStateChanged) bool { return true })
		},
			"unexpected transition a:stopped→starting; events: [a:stopped→starting a:starting→fail]"},
		{func(tb testing.TB) { r.Expect(tb, "a", messages.Running) },
			"timed out after 50ms waiting for a → running; events: [a:stopped→starting a:starting→fail]"},
		{func(tb testing.TB) { r.ExpectSeq(tb, "a", messages.Starting, messages.Running) },
			"a: transitions [a:stopped→starting a:starting→fail], want starting→running"},
		{func(tb testing.TB) { r.ExpectNone(tb, "a", messages.Fail, 10*time.Millisecond) }, ""}, // past the cursor now
	}
	for i, c := range cases {
		if got := fails(t, c.check); got != c.want {
			t.Errorf("case %d: failed with %q, want %q", i, got, c.want)
		}
	}
	// published once ExpectIdle has surely taken its starting point
	time.AfterFunc(300*time.Millisecond, func() { es.Publish(change("b", messages.Stopped, messages.Starting)) })
	if got := fails(t, func(tb testing.TB) { r.ExpectIdle(tb, 3*time.Second) }); got != "idle tree changed: b:stopped→starting; events: [a:stopped→starting a:starting→fail b:stopped→starting]" {
		t.Errorf("ExpectIdle failed with %q", got)
	}
}
