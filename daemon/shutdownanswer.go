package daemon

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// shutdownAnswers is the actor that the controller answers a signal's
// `command shutdown` to (relaySignals): the relay sends and goes on, and
// this one says a refusal that would else be lost (REFERENCE §13.5). It
// holds nothing: a shutdown that goes on answers only at its end, with no
// error, and that answer is dropped.
type shutdownAnswers struct {
	log *logrus.Logger
}

func (a *shutdownAnswers) Receive(ctx actor.Context) {
	r, ok := ctx.Message().(messages.Reply)
	if !ok || r.Err == nil {
		return
	}
	switch {
	case errors.Is(r.Err, actors.ErrUpgradeUnderWay):
		a.log.Warnf("shutdown refused: %v (send it again once it is done)", r.Err)
	case errors.Is(r.Err, actors.ErrAlreadyShuttingDown):
		a.log.Infof("shutdown requested again: %v", r.Err)
	default:
		a.log.Warnf("shutdown refused: %v", r.Err)
	}
}
