package messages

import (
	"syscall"
	"time"
)

// ServiceStateChanged is published on the actor system's event stream for
// every state transition of every service, by the service actor, in the
// order the transitions happen.
type ServiceStateChanged struct {
	Name   string
	From   State
	To     State
	Pid    int    // the pid of the process, 0 when none
	Reason string // the fail reason in state Fail, else empty
	At     time.Time
	// Tags are the service's tags when the transition happened (what a
	// `tag` selector of `command events` matches: REFERENCE §1.5). Never
	// mutated.
	Tags []string
}

// ServiceForgotten is published on the event stream by the controller
// once a destroyed service is no longer declared (after its last
// ServiceStateChanged): whoever reads the records then no longer finds
// it.
type ServiceForgotten struct {
	Name string
	At   time.Time
	// Tags are the service's tags when it was forgotten (what a `tag`
	// selector of `command events` matches). Never mutated.
	Tags []string
}

// SocketStateChanged is published on the event stream when a shared
// socket is bound or closed (From and To are "unbound" and "bound";
// REFERENCE §3). Address is where it listens (host:port with the real
// port, or unix:PATH), set when bound.
type SocketStateChanged struct {
	Name     string
	From, To string
	Address  string
	At       time.Time
}

// ProcessExited tells a service actor that its process was reaped. Status
// is the raw wait(2) status.
type ProcessExited struct {
	Pid    int
	Status syscall.WaitStatus
	// Reported: a proxy's stopped whose exit_status is no wait status of
	// a process's end, that exit_status as sent ("-5"; "null" for none,
	// lifecycle.NoExitStatus); Status is then none either (0x7f). An
	// upgrade in place carries both (REFERENCE §4.3, §13.2)
	Reported string
}

// ActorPanicked is published on the event stream when an actor panicked
// while handling Message. The actor was resumed with its state (and the
// process it owns) kept.
type ActorPanicked struct {
	Actor   string
	Reason  string
	Message string
}
