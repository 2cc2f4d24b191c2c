package actors

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
)

// serviceTimer is a service's one timer (start wait, stop wait, backoff,
// ...: the lifecycle arms one at a time). It is armed again with Reset
// rather than a new time.AfterFunc each time: a mass stop armed a timer,
// a closure and a message for each of thousands of services. What it
// sends is held in atomics: the actor writes them only while the timer
// cannot fire (new, or stopped by a Stop that returned true: its callback
// will not run), and the callback of the arming that fired reads them. A
// timer whose Stop returned false (it fired: its callback may be running)
// is dropped, never written again: the next arming makes a new one.
type serviceTimer struct {
	t       *time.Timer
	kind    atomic.Uint32 // a lifecycle.TimerKind
	gen     atomic.Uint64
	stopped bool // the actor's: Stop returned true, no callback can run
}

// arm makes the timer send timerElapsed at the deadline. Only one timer is
// armed at a time.
func (s *Service) arm(ctx actor.Context, a lifecycle.Arm) {
	s.armTimer(ctx.ActorSystem().Root, a)
}

// armTimer is arm, the timer's message sent through root.
func (s *Service) armTimer(root *actor.RootContext, a lifecycle.Arm) {
	s.cancelTimer()
	t := s.timer // stopped: reused
	if t == nil {
		t = &serviceTimer{}
		s.timer = t
	}
	t.kind.Store(uint32(a.Kind))
	t.gen.Store(a.Gen)
	t.stopped = false
	d := time.Until(a.Deadline)
	if t.t != nil {
		t.t.Reset(d)
		return
	}
	self := s.self
	t.t = time.AfterFunc(d, func() {
		root.Send(self, timerElapsed{Kind: lifecycle.TimerKind(t.kind.Load()), Gen: t.gen.Load()})
	})
}

// cancelTimer stops the armed timer, if any. It is kept for the next
// arming only if it had not fired.
func (s *Service) cancelTimer() {
	t := s.timer
	if t == nil || t.stopped {
		return
	}
	if t.t.Stop() {
		t.stopped = true
		return
	}
	s.timer = nil // fired: its callback may be reading its values
}
