package actors

import (
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
)

// TestServiceTimerReuse: a timer cancelled before it fired is armed again
// with the new kind and generation, and sends exactly those; a timer that
// fired is replaced, and the late firing of the first arming never sends
// the second's values.
func TestServiceTimerReuse(t *testing.T) {
	t.Parallel()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(newLogrusHandler(quietLogger()))
	}))
	defer sys.Shutdown()
	got := make(chan timerElapsed, 8)
	probe := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(timerElapsed); ok {
			got <- m
		}
	}))
	s := &Service{self: probe}
	at := func(d time.Duration) time.Time { return time.Now().Add(d) }
	next := func() timerElapsed {
		t.Helper()
		select {
		case m := <-got:
			return m
		case <-time.After(connWait):
			t.Fatal("timed out waiting for the timer's message")
			return timerElapsed{}
		}
	}

	// armed for an hour, cancelled: kept, stopped
	s.armTimer(sys.Root, lifecycle.Arm{Kind: lifecycle.TimerStartWait, Gen: 1, Deadline: at(time.Hour)})
	first := s.timer
	s.cancelTimer()
	if s.timer != first || !first.stopped {
		t.Fatalf("a timer stopped before it fired: kept %v, stopped %v; want kept and stopped", s.timer == first, first.stopped)
	}
	// armed again: the same timer, the new values
	s.armTimer(sys.Root, lifecycle.Arm{Kind: lifecycle.TimerStopWait, Gen: 2, Deadline: at(10 * time.Millisecond)})
	if s.timer != first {
		t.Fatal("a stopped timer was not reused")
	}
	if m := next(); m != (timerElapsed{Kind: lifecycle.TimerStopWait, Gen: 2}) {
		t.Fatalf("got %+v, want the second arming's {StopWait 2}", m)
	}
	// it fired: the next arming makes a new timer
	s.armTimer(sys.Root, lifecycle.Arm{Kind: lifecycle.TimerBackoff, Gen: 3, Deadline: at(10 * time.Millisecond)})
	if s.timer == first {
		t.Fatal("a timer that fired was reused: its callback may be reading its values")
	}
	if m := next(); m != (timerElapsed{Kind: lifecycle.TimerBackoff, Gen: 3}) {
		t.Fatalf("got %+v, want {Backoff 3}", m)
	}
	// nothing else was sent (the hour-long arming never fired)
	s.cancelTimer()
	select {
	case m := <-got:
		t.Fatalf("an extra timer message: %+v", m)
	case <-time.After(50 * time.Millisecond):
	}
}
