package actors

import (
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// Messages between the controller, the services and a proxy actor.
type (
	// configureProxy hands the proxy actor its (new) declaration, taken
	// into account at its next run.
	configureProxy struct{ cfg messages.ProxyConfig }
	// proxyUp runs the proxy (proxyup); answered to `to` with a Reply.
	proxyUp struct{ to *actor.PID }
	// proxyDown shuts the proxy down (proxydown, shutdown); answered to
	// `to` with a Reply once it is gone. halt: refuse to run ever after.
	proxyDown struct {
		to   *actor.PID
		halt bool
	}
	// proxyHalted tells the controller that a proxyDown{halt} is done.
	proxyHalted struct{ name string }
	// proxyDownCancel tells a service declared under proxy that a
	// proxydown of it came (REFERENCE §4.5): a launch of the service
	// still reading its env_file or looking its user up, begun before,
	// is cancelled (launch cancelled), as none of those starts runs the
	// proxy again; so is a restart asked before (its check under way, or
	// past it, its process stopping). Answered proxyDownCancelDone, once any start such a
	// launch asked of the proxy was sent (proxies.go: entry.proxyDowns).
	proxyDownCancel struct{ proxy string }
	// proxyDownCancelDone: service name handled the proxyDownCancel of
	// proxy; a start it asks from then on was launched after it.
	proxyDownCancelDone struct{ name, proxy string }
	// proxyUpdated tells the controller whether the proxy runs, and its pid.
	// run: the declaration its process was launched with (nil when down);
	// sockets: the sockets its process got at its launch (REFERENCE §4.1),
	// by name, while it runs
	proxyUpdated struct {
		name    string
		running bool
		pid     int
		run     *messages.ProxyConfig
		sockets map[string]bool
	}
	// proxyStartRequest asks the proxy to start service name (the proxy
	// is run first when it is auto). attempt identifies the service's
	// start, echoed in proxyStartRefused; decl is the service's
	// declaration in the Tail (Tail.declare), whose ring keeps the lines
	// the proxy forwards for that name from then on.
	proxyStartRequest struct {
		svc     *actor.PID
		cfg     messages.ServiceConfig
		attempt uint64
		decl    uint64
		later   bool // queued by the proxy for its next run (proxy.go)
	}
	// proxyStopRequest asks the proxy to stop service name.
	// svc, attempt: the service's actor and its run, told proxyStopHeard
	// once the stop is handled (nil: nobody waits, an upgrade's replay).
	proxyStopRequest struct {
		name    string
		svc     *actor.PID
		attempt uint64
	}
	// proxyStopHeard tells a service that its proxy's actor handled its
	// stop: the start it held dropped, or its line taken back (their
	// refusal sent before), or the stop line written
	// (lifecycle.EvProxyStopHeard).
	proxyStopHeard struct{ attempt uint64 }
	// proxiedServiceDown: service name is down (an auto proxy without an
	// up service is shut down); retry, when set, is when it starts again
	// by itself (backoff: proxy_hold.go).
	proxiedServiceDown struct {
		name  string
		retry time.Time
	}
	// proxiedStartKilled: the service killed pid, which its proxy
	// reported for a start the service had given up (Service.killGivenUp),
	// sent to the proxy actor before the kill: that start is left, so
	// that the process's exit, which may come before the service's word
	// that it is down, is a given-up start's (its orphans ended).
	proxiedStartKilled struct {
		name string
		pid  int
	}
	// proxiedEndLeftovers: service name, down, is asked to end what its
	// runs left (a stop while it is down or in backoff, its destroy:
	// lifecycle.EndLeftovers). A proxy that is a child subreaper
	// (cfk-proxy) holds the daemons of a child that exited on its own,
	// which cfkd's scan cannot see: the stop line of that name has it end
	// them (REFERENCE §4.6, §7.5).
	proxiedEndLeftovers struct{ name string }
	// toProxy is a message a service sends its parent for proxy `proxy`.
	toProxy struct {
		proxy string
		msg   any
	}

	// Proxy → service.
	proxyStartRefused struct {
		attempt uint64
		err     error
		why     refusedFor
	}
	// proxyServiceStarted: the proxy reported the pid; proc, when not
	// nil, is a handle on that very process (Launcher.Handle), owned by
	// the receiver.
	proxyServiceStarted struct {
		attempt uint64
		pid     int
		proc    *osproc.Process
		proxy   string     // the proxy that forked it, for the service's log
		from    *actor.PID // its proxy actor, told of a kill (proxiedStartKilled)
		// ended: the process had ended before a handle on it could be
		// taken (osproc.ErrEnded; proc is nil): nothing to kill
		ended bool
	}
	// proxyStopped: the proxy of attempt ended; muted: after it closed
	// its status pipe ("status") or its log pipe ("log") while it ran,
	// cfkd shutting it down for it ("": it did not, proxy_mute.go)
	proxyStopped struct {
		attempt uint64
		muted   string
	}

	// The status pipe's reports. proxyReportedStarted carries a handle
	// on the pid (nil, with handleErr, when none could be had), taken by
	// the reader goroutine before the report is sent on, so that reports
	// keep their order.
	proxyReportedStarted struct {
		run       uint64
		name      string
		pid       int
		proc      *osproc.Process
		handleErr error
		slot      <-chan struct{} // freed by the actor: pipeRun.statusSlots
	}
	proxyReportedStopped struct {
		run    uint64
		name   string
		pid    int
		status syscall.WaitStatus
		// reported: the exit_status, when it is no wait status of a
		// process's end (status is then none either: proxywire's NoEnd)
		reported string
		slot     <-chan struct{}
	}

	// Timers and the process.
	proxyExited struct {
		run uint64
		pid int
		ws  syscall.WaitStatus
	}
	proxyGraceElapsed struct{ run uint64 }
	// proxyExitDelivered: the exit of a process of service name that
	// waited for the scan for its orphans was handed to the service
	proxyExitDelivered struct{ name string }
)

// refusedFor is what a proxyStartRefused is, beside its error, when the
// service makes of it another event than lifecycle.EvProxyRefused.
type refusedFor uint8

const (
	// refusedOther: nothing more than its error says.
	refusedOther refusedFor = iota
	// refusedShort: the proxy could not be launched for cfkd's own
	// shortage (Proxy.refusal; REFERENCE §2.1, §4.5).
	refusedShort
	// refusedDownCame: a proxydown came before the start, launched
	// before it, reached the proxy (REFERENCE §4.5).
	refusedDownCame
)
