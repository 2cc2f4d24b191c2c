package daemon

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/cfk/cfk/internal/earlysig"
)

// earlySignals catches, from cfkd's first package init on (cmd/cfkd
// imports internal/earlysig/catch), the signals it
// handles, until their handlers exist (relaySignals, relayUpgradeSignal):
// before that, a HUP, INT, TERM, QUIT, USR1 or USR2 had its default action and
// ended cfkd, also the new cfkd of an upgrade in place, whose services were
// then left unsupervised (REFERENCE §7.3, §13).
type earlySignals struct {
	ch   chan os.Signal
	done bool
	// refuse, when set, is told each HUP, INT, TERM, QUIT or USR2 caught
	// instead of handing it over: the new cfkd of an upgrade refuses a
	// shutdown, and an upgrade, asked while the upgrade ran (REFERENCE
	// §13.5); USR1 (reload the logs) is handed over
	refuse func(os.Signal)
}

var handled = earlysig.Handled

// catchEarly takes the signals cmd/cfkd caught from its first package
// init on (internal/earlysig), or starts catching them now.
func catchEarly() *earlySignals {
	if ch := earlysig.Take(); ch != nil {
		return &earlySignals{ch: ch}
	}
	e := &earlySignals{ch: make(chan os.Signal, 16)}
	signal.Notify(e.ch, handled...)
	return e
}

// handOver stops catching, and sends what was caught again, to the
// handlers that exist now (a signal caught twice meanwhile is said once).
// stop is the same without handlers: what was caught takes its default
// action (a TERM to `cfkd -d` waiting for its daemon ends it, as before
// any catching). Either is done once; the later calls do nothing.
func (e *earlySignals) handOver() {
	if e.done {
		return
	}
	e.done = true
	signal.Stop(e.ch)
	seen := map[os.Signal]bool{}
	for {
		select {
		case s := <-e.ch:
			switch {
			case seen[s]:
			case e.refuse != nil && s != syscall.SIGUSR1:
				seen[s] = true
				e.refuse(s)
			default:
				seen[s] = true
				syscall.Kill(os.Getpid(), s.(syscall.Signal))
			}
		default:
			return
		}
	}
}

// stop stops catching (cfkd did not get as far as its handlers), and
// sends what was caught again.
func (e *earlySignals) stop() { e.handOver() }
