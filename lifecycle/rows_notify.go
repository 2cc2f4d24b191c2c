package lifecycle

import (
	"syscall"
	"time"
)

// The rows of what a service asks through sd_notify besides READY=1 and
// WATCHDOG=1 (REFERENCE §2.9), as systemd takes them.

var rowExtendStart = row{"ready timeout extended", "EXTEND_TIMEOUT_USEC=N, not ready yet, with ready_timeout_secs: the run is a failed start N from now at the earliest (never sooner than ready_timeout_secs), as systemd's; sent during startwait, it counts from then too", func(s *step) {
	if s.l.Ready || !s.p.Ready || s.p.ReadyTimeout <= 0 || s.ev.Extend <= 0 {
		return
	}
	if total := s.now().Add(s.ev.Extend).Sub(s.readyFrom()); total > s.l.Extended {
		s.l.Extended = total
	}
	if s.l.Timer == TimerReady && s.readyDeadline().After(s.l.Deadline) {
		s.arm(TimerReady, s.readyDeadline().Sub(s.now()))
	}
}}

var rowExtendStop = row{"stopwait extended", "EXTEND_TIMEOUT_USEC=N while the stop signal waits: SIGKILL N from now at the earliest (never sooner than stopwait_secs), as systemd's", func(s *step) {
	if s.l.Timer != TimerStopWait || s.ev.Extend <= 0 {
		return
	}
	if until := s.now().Add(s.ev.Extend); until.After(s.l.Deadline) {
		// the SIGKILL line says how long the stop waited, to the
		// millisecond (the datagram came at any nanosecond)
		s.l.StopWait = until.Sub(s.l.StopTime).Round(time.Millisecond)
		s.arm(TimerStopWait, s.ev.Extend)
	}
}}

var rowWatchdogTrigger = row{"→ stopping, then a crash", "WATCHDOG=trigger: SIGABRT, SIGKILL after stopwait; its end is a crash (`Watchdog request`), as systemd's, with or without watchdog_secs", func(s *step) {
	s.triggered(EndTriggered)
}}

var rowWatchdogTriggerStarting = row{"→ stopping, then backoff", "WATCHDOG=trigger while starting: SIGABRT, SIGKILL after stopwait; a failed start (`Watchdog request`)", func(s *step) {
	s.triggered(EndTriggeredStart)
}}

// triggered stops the run by SIGABRT for its WATCHDOG=trigger; its end is
// the failure k says.
func (s *step) triggered(k EndKind) {
	s.logf(Error, s.l.Pid, "%s: %s (WATCHDOG=trigger): sending SIGABRT", s.p.Name, s.endReason(k))
	s.beginStopWith(syscall.SIGABRT)
	s.l.End = k
}
