package actors

import (
	"os"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// Launcher is the OS boundary the service actors use (osproc.Launcher in
// production, a fake in unit tests).
type Launcher interface {
	// Launch starts a process; onExit is called once with its pid and raw
	// wait status when it is reaped (possibly before Launch returns).
	Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error)
	// Signal signals the process (its group when it leads one).
	Signal(p *osproc.Process, sig syscall.Signal) error
}

var _ Launcher = (*osproc.Launcher)(nil)

// Options configure a tree.
type Options struct {
	Launcher Launcher
	// Log receives cfkd's own events; ServiceLog every line services write
	// (category service.NAME.out|err). Both default to logrus's standard
	// logger.
	Log        *logrus.Logger
	ServiceLog *logrus.Logger
	// Env is the environment every service starts from (default: cfkd's).
	Env []string
	// Version is what `command version` answers.
	Version string
	// BackoffUnit is the unit of the randomised backoff delay (SPEC §2.3:
	// 0.3 s).
	BackoffUnit time.Duration
	// ProxyGrace is how long a proxy asked to stop may take before it is
	// considered gone and SIGKILLed (SPEC §4.5: 3 s).
	ProxyGrace time.Duration
	// ServiceMiddleware wraps every service actor's Receive (tests inject
	// faults with it).
	ServiceMiddleware []actor.ReceiverMiddleware
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = logrus.StandardLogger()
	}
	if o.ServiceLog == nil {
		o.ServiceLog = o.Log
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.Version == "" {
		o.Version = "cfk (development build)"
	}
	if o.BackoffUnit == 0 {
		o.BackoffUnit = 300 * time.Millisecond
	}
	if o.ProxyGrace == 0 {
		o.ProxyGrace = 3 * time.Second
	}
	return o
}
