package daemon

import (
	"os"
	"os/signal"
	"syscall"
)

// earlySignals catches, from cfkd's first line on, the signals it
// handles, until their handlers exist (relaySignals, relayUpgradeSignal):
// before that, a HUP, INT, TERM, USR1 or USR2 had its default action and
// ended cfkd, also the new cfkd of an upgrade in place, whose services were
// then left unsupervised (REFERENCE §7.3, §13).
type earlySignals struct{ ch chan os.Signal }

var handled = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1, syscall.SIGUSR2}

func catchEarly() *earlySignals {
	e := &earlySignals{ch: make(chan os.Signal, 16)}
	signal.Notify(e.ch, handled...)
	return e
}

// handOver stops catching, and sends what was caught again, to the
// handlers that exist now (a signal caught twice meanwhile is said once).
func (e *earlySignals) handOver() {
	signal.Stop(e.ch)
	seen := map[os.Signal]bool{}
	for {
		select {
		case s := <-e.ch:
			if !seen[s] {
				seen[s] = true
				syscall.Kill(os.Getpid(), s.(syscall.Signal))
			}
		default:
			return
		}
	}
}

// stop stops catching (cfkd did not get as far as its handlers).
func (e *earlySignals) stop() { signal.Stop(e.ch) }
