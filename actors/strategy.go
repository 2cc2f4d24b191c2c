package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// resumeStrategy is the supervision of cfk's actors. Actor supervision is
// for bugs only: an actor that panics is logged loudly, the panic is
// published as ActorPanicked, the request it was handling (if any) is
// answered with an error so that no client waits forever, and the actor is
// resumed with its state, so it keeps owning its process. Restarting it
// would forget the process and the state machine.
type resumeStrategy struct {
	log *logrus.Logger
	// answer replies to the lost message; nil means "reply to its sender".
	answer func(msg any, err error)
}

var _ actor.SupervisorStrategy = (*resumeStrategy)(nil)

func (s *resumeStrategy) HandleFailure(system *actor.ActorSystem, sup actor.Supervisor, child *actor.PID,
	_ *actor.RestartStatistics, reason, message any) {
	_, msg, sender := actor.UnwrapEnvelope(message)
	s.log.WithFields(logrus.Fields{
		"actor": child.String(), "panic": fmt.Sprint(reason), "message": fmt.Sprintf("%T", msg),
	}).Error("actor panicked; resumed with its state kept")
	system.EventStream.Publish(messages.ActorPanicked{
		Actor: child.String(), Reason: fmt.Sprint(reason), Message: fmt.Sprintf("%T", msg),
	})
	err := fmt.Errorf("internal error: %v", reason)
	switch {
	case s.answer != nil:
		s.answer(msg, err)
	case sender != nil:
		system.Root.Send(sender, messages.ErrorReply(err))
	}
	sup.ResumeChildren(child)
}
