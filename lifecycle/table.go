package lifecycle

import (
	"fmt"

	"github.com/cfk/cfk/messages"
)

// row is one behaviour: what a cell of the table does.
type row struct {
	name string // as the rendered table shows it
	doc  string // one line for the reference
	fn   func(*step)
}

func (r row) do(s *step) { r.fn(s) }

// The states, in the order of the table's rows.
var (
	stopped  = messages.Stopped
	starting = messages.Starting
	running  = messages.Running
	stopping = messages.Stopping
	failed   = messages.Fail
	fatal    = messages.Fatal
	backoff  = messages.Backoff

	allStates = []messages.State{stopped, starting, running, stopping, failed, fatal, backoff}
	down      = []messages.State{stopped, failed, fatal}
	downAll   = []messages.State{stopped, failed, fatal, backoff}
	launched  = []messages.State{starting, running}
	upStates  = []messages.State{starting, running, stopping}
)

// cells is the table: for each event, which row each state takes. Every
// (state, event) pair is listed exactly once, "ignore" included; init
// checks it.
var cells = []struct {
	ev     EventKind
	states []messages.State
	r      row
}{
	{EvStart, downAll, rowStart},
	{EvStart, upStates, rowAlreadyUp},

	{EvUp, []messages.State{stopped}, rowUpStopped},
	{EvUp, []messages.State{failed, fatal, backoff}, rowStart},
	{EvUp, launched, rowOK},
	{EvUp, []messages.State{stopping}, rowUpWhileStopping},

	{EvStop, down, rowAlreadyDown},
	{EvDown, down, rowDownNoop},
	{EvStop, []messages.State{backoff}, rowStopBackoff},
	{EvDown, []messages.State{backoff}, rowStopBackoff},
	{EvStop, launched, rowStopProcess},
	{EvDown, launched, rowStopProcess},
	{EvStop, []messages.State{stopping}, rowStopAgain},
	{EvDown, []messages.State{stopping}, rowStopAgain},

	{EvRestart, downAll, rowStart},
	{EvRestart, launched, rowCheckForRestart},
	{EvRestart, []messages.State{stopping}, rowRestartWhenDown},
	{EvApplyRestart, downAll, rowApplyRestartDown},
	{EvApplyRestart, launched, rowCheckForRestart},
	{EvApplyRestart, []messages.State{stopping}, rowApplyRestartStopping},

	{EvHalt, down, rowHaltDown},
	{EvHalt, []messages.State{backoff}, rowHaltBackoff},
	{EvHalt, launched, rowHaltProcess},
	{EvHalt, []messages.State{stopping}, rowHaltWait},

	{EvLaunched, downAll, rowLaunched},
	{EvLaunched, upStates, rowImpossible},
	{EvLaunchFailed, downAll, rowLaunchFailed},
	{EvLaunchFailed, upStates, rowImpossible},

	{EvPidReported, launched, rowPidReported},
	{EvPidReported, []messages.State{stopping}, rowPidAfterStop},
	{EvPidReported, downAll, rowMadeGivenUp},
	{EvProxyRefused, []messages.State{starting}, rowProxyRefused},
	{EvProxyRefused, []messages.State{stopping}, rowProxyRefusedStopping},
	{EvProxyRefused, []messages.State{running}, rowImpossible},
	{EvProxyRefused, downAll, rowImpossible},
	{EvProxyShort, []messages.State{starting}, rowProxyShort},
	{EvProxyShort, []messages.State{stopping}, rowProxyRefusedStopping},
	{EvProxyShort, []messages.State{running}, rowImpossible},
	{EvProxyShort, downAll, rowImpossible},
	{EvProxyGone, launched, rowProxyGone},
	{EvProxyGone, []messages.State{stopping}, rowProxyGoneStopping},
	{EvProxyGone, downAll, rowImpossible},
	{EvProxyMute, launched, rowProxyMute},
	{EvProxyMute, []messages.State{stopping}, rowProxyMuteStopping},
	{EvProxyMute, downAll, rowImpossible},
	{EvProxyLogClosed, launched, rowProxyLogClosed},
	{EvProxyLogClosed, []messages.State{stopping}, rowProxyLogClosedStopping},
	{EvProxyLogClosed, downAll, rowImpossible},

	{EvExited, []messages.State{starting}, rowExitedStarting},
	{EvExited, []messages.State{running}, rowExitedRunning},
	{EvExited, []messages.State{stopping}, rowExitedStopping},
	{EvExited, downAll, rowImpossible},

	{EvStartWaitElapsed, []messages.State{starting}, rowStartWaitElapsed},
	{EvStartWaitElapsed, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowImpossible},
	{EvStopWaitElapsed, []messages.State{stopping}, rowStopWaitElapsed},
	{EvStopWaitElapsed, []messages.State{starting, running, stopped, failed, fatal, backoff}, rowImpossible},
	{EvKillWaitElapsed, []messages.State{stopping}, rowKillWaitElapsed},
	{EvKillWaitElapsed, []messages.State{starting}, rowAskProxy},
	{EvKillWaitElapsed, []messages.State{running, stopped, failed, fatal, backoff}, rowImpossible},
	{EvBackoffElapsed, []messages.State{backoff}, rowBackoffElapsed},
	{EvBackoffElapsed, []messages.State{starting, running, stopping, stopped, failed, fatal}, rowImpossible},
	{EvResetElapsed, []messages.State{running}, rowResetElapsed},
	{EvResetElapsed, []messages.State{starting, stopping, stopped, failed, fatal, backoff}, rowImpossible},

	{EvReady, []messages.State{starting}, rowReady},
	{EvReady, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowIgnore},
	{EvReadyElapsed, []messages.State{starting}, rowNotReady},
	{EvReadyElapsed, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowImpossible},

	{EvSignal, upStates, rowSignal},
	{EvSignal, downAll, rowSignalDown},

	{EvAwait, []messages.State{running}, rowAwaitNow},
	{EvAwait, []messages.State{starting, backoff}, rowAwait},
	{EvAwait, []messages.State{stopping}, rowAwaitStopping},
	{EvAwait, down, rowAwaitDown},

	{EvWatchdogPing, []messages.State{running}, rowWatchdogPing},
	{EvWatchdogPing, []messages.State{starting, stopping, stopped, failed, fatal, backoff}, rowIgnore},
	{EvWatchdogElapsed, []messages.State{running}, rowWatchdogElapsed},
	{EvWatchdogElapsed, []messages.State{starting, stopping, stopped, failed, fatal, backoff}, rowImpossible},
	{EvWatchdogTrigger, []messages.State{running}, rowWatchdogTrigger},
	{EvWatchdogTrigger, []messages.State{starting}, rowWatchdogTriggerStarting},
	{EvWatchdogTrigger, []messages.State{stopping, stopped, failed, fatal, backoff}, rowIgnore},
	{EvExtendTimeout, []messages.State{starting}, rowExtendStart},
	{EvExtendTimeout, []messages.State{stopping}, rowExtendStop},
	{EvExtendTimeout, []messages.State{running, stopped, failed, fatal, backoff}, rowIgnore},

	{EvChecked, launched, rowStopForRestart},
	{EvChecked, []messages.State{stopping, stopped, failed, fatal, backoff}, rowImpossible},

	{EvProxyMoving, []messages.State{starting}, rowProxyMoving},
	{EvProxyMoving, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowImpossible},
	{EvProxyStuck, []messages.State{starting}, rowPidNeverReported},
	{EvProxyStuck, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowImpossible},
	{EvProxyAnswerElapsed, []messages.State{starting}, rowPidNeverReported},
	{EvProxyAnswerElapsed, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowImpossible},

	{EvPidGivenUp, allStates, rowPidGivenUp},
	{EvStopBeforePid, []messages.State{starting}, rowStopBeforePid},
	{EvStopBeforePid, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowOnlyStarting},
	{EvProxyStopHeard, []messages.State{stopping}, rowStopHeard},
	{EvProxyStopHeard, launched, rowIgnore},
	{EvProxyStopHeard, downAll, rowImpossible},
	{EvLaunchCancelled, downAll, rowLaunchCancelled},
	{EvLaunchCancelled, upStates, rowImpossible},
	{EvProxyCancelled, []messages.State{starting}, rowProxyCancelled},
	{EvProxyCancelled, []messages.State{stopping}, rowProxyRefusedStopping},
	{EvProxyCancelled, []messages.State{running}, rowImpossible},
	{EvProxyCancelled, downAll, rowImpossible},
	{EvReadyShort, []messages.State{starting}, rowNotReadyShort},
	{EvReadyShort, []messages.State{running, stopping, stopped, failed, fatal, backoff}, rowImpossible},
}

// table is cells indexed by state and event.
var table [len(stateNames)][numEvents]row

// stateNames sizes the table: one row per state of messages.State.
var stateNames = [...]string{"stopped", "starting", "running", "stopping", "fail", "fatal", "backoff"}

func init() {
	var set [len(stateNames)][numEvents]bool
	for _, c := range cells {
		for _, st := range c.states {
			if set[st][c.ev] {
				panic(fmt.Sprintf("lifecycle: (%s, %s) listed twice", st, c.ev))
			}
			set[st][c.ev] = true
			table[st][c.ev] = c.r
		}
	}
	for st := range set {
		for ev := range set[st] {
			if !set[st][ev] {
				panic(fmt.Sprintf("lifecycle: (%s, %s) has no row", messages.State(st), EventKind(ev)))
			}
		}
	}
}

// rowIgnore and rowImpossible do nothing. Impossible: the checks before
// the table (a timer's generation, a launch's attempt, a proxy's report
// to a service no longer run by a proxy, an exit's pid) leave no way to
// get there; listed so that every pair has its row. A cell that is
// "ignore" is one an event reaches (TestIgnoredCellsAreReached).
var (
	rowIgnore     = row{"ignore", "nothing to do", func(*step) {}}
	rowImpossible = row{"-", "cannot happen: the generation, attempt, proxied or pid check drops it", func(*step) {}}
	// a pid reported to a service that no proxy runs is made `pid given
	// up` before the table (givenUp)
	rowOnlyStarting = row{"-", "cannot happen: the check before the table makes `stop before pid` of a stop or down in starting only", func(*step) {}}
	rowMadeGivenUp  = row{"-", "cannot happen: the check before the table makes it `pid given up`", func(*step) {}}
)
