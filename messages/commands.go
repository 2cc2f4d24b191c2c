package messages

import (
	"syscall"
	"time"
)

// RequestID ties a service's reply to the controller request it answers.
type RequestID uint64

// Commands from the controller to one service actor. Each is answered by
// exactly one ServiceReply carrying the same Req, possibly later (restart
// and destroy answer once the service is down and, for restart, started
// again).
type (
	// StartService starts a down service; an up one is an error.
	StartService struct{ Req RequestID }
	// StopService stops an up service; a down one is an error.
	StopService struct{ Req RequestID }
	// UpService starts a down service; an up one is left as it is.
	// UntilRunning: answered once the service is running (an error if it
	// ends down for good instead), as a dependency needs.
	UpService struct {
		Req          RequestID
		UntilRunning bool
	}
	// SignalService sends Sig to an up service's process (group); a down
	// one is an error (command signal, REFERENCE §1.4).
	SignalService struct {
		Req RequestID
		Sig syscall.Signal
	}
	// AwaitRunning is answered once the service is running (at once if
	// it is), or with an error once it is down for good; it starts
	// nothing, but a service stopping for an operator's stop, whose
	// start just before was refused `already up`, it starts again once
	// down, as UpService. A start whose dependents wait for a selected
	// service sends it after the start (REFERENCE §2.8): a service in
	// backoff keeps its delay and its counts.
	AwaitRunning struct{ Req RequestID }
	// DownService stops an up service; a down one is left as it is.
	// ForRequired: sent because a service it requires is stopped or
	// destroyed (REFERENCE §2.8), not by an operator's down.
	DownService struct {
		Req         RequestID
		ForRequired bool
	}
	// RestartService stops an up service and starts it again once down;
	// starts a down one. It is answered once the process is started again
	// or, with UntilRunning, once it is running (startwait_secs later): an
	// error then says it went down instead (a rolling restart stops there).
	RestartService struct {
		Req          RequestID
		UntilRunning bool
		// IfFormer: an apply's restart of a service whose launch was
		// under way (REFERENCE §1.4): answered at once, restarting
		// nothing, unless the run, or the launch once its spec is built,
		// is of a declaration other than the current one
		IfFormer bool
		// Apply: an apply's restart (REFERENCE §1.4): it restarts a run,
		// and leaves a service down, or stopping for an operator's stop,
		// as it is (the `apply restart` row, §2.7)
		Apply bool
		// Proxy: the proxy the service starts under, when it does not
		// run: its start would run it, so a restart of an up service
		// checks its launch too before the stop (REFERENCE §1.4)
		Proxy *ProxyConfig
	}
	// DestroyService brings the service down; the reply says it is down
	// and the actor may be stopped.
	DestroyService struct{ Req RequestID }
	// HaltService brings the service down for good (shutdown): it is
	// answered once the service is down, and refuses to start after.
	HaltService struct{ Req RequestID }
)

// ConfigureService hands a service actor its (new) declaration. It takes
// effect at the next start of the process. The configuration is shared
// with the controller, which made it: neither ever changes it (a change
// is a new one).
type ConfigureService struct{ Config *ServiceConfig }

// ServiceReply answers one service command. Idle: the command changed
// nothing (a down of a service down, an up of one up).
type ServiceReply struct {
	Req  RequestID
	Name string
	Err  error
	Idle bool
}

// ServiceRuntime is what a service is doing now, as status shows it.
type ServiceRuntime struct {
	Name       string
	State      State
	Pid        int
	StartTime  time.Time
	StopTime   time.Time
	FailReason string
	RunningCmd string
	// Retries counts the consecutive failed starts, Crashes the
	// consecutive crashes of a running process; NextStart is when a
	// service in backoff starts again (zero otherwise). Extensions: the
	// compat status line does not show them, `command inspect` does.
	Retries   int
	Crashes   int
	NextStart time.Time
	// Restarts counts the processes launched since the service was
	// declared, less one; LastExit ("exit 3", "signal 9") and LastExitTime
	// say how and when the last one ended.
	Restarts     int
	LastExit     string
	LastExitTime time.Time
	LastError    string // why the last start failed, until running
	NotifyStatus string // the last STATUS= of sd_notify
	Done         bool   // a oneshot stopped by its clean exit (REFERENCE §2.10)
	// Launching: State is starting because the service's launch is under
	// way (a fork slot, its user lookup, its env_file read): it has no
	// process yet, nor a run (REFERENCE §1.6). Not on any line.
	Launching bool
}

// ServiceUpdated carries a service's runtime to the controller after every
// change, so that status is answered without asking every service, and
// the declaration its run (the last launched) was launched with: nil when
// none was, or it is not known (a run adopted by an upgrade in place).
// Never mutated, as every ServiceConfig the controller hands out.
type ServiceUpdated struct {
	Runtime ServiceRuntime
	Run     *ServiceConfig
}

// ShutdownCompleted is published on the event stream once a shutdown has
// brought every service down.
type ShutdownCompleted struct{}

// RequestIDOf returns the request a service command belongs to.
func RequestIDOf(msg any) (RequestID, bool) {
	switch m := msg.(type) {
	case StartService:
		return m.Req, true
	case StopService:
		return m.Req, true
	case UpService:
		return m.Req, true
	case DownService:
		return m.Req, true
	case RestartService:
		return m.Req, true
	case DestroyService:
		return m.Req, true
	case HaltService:
		return m.Req, true
	case SignalService:
		return m.Req, true
	case AwaitRunning:
		return m.Req, true
	case SocketsChanged:
		return m.Req, m.Req != 0
	}
	return 0, false
}
