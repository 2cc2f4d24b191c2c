package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
)

// The rollback of a new cfkd that fails once its actor tree has taken the
// services over (REFERENCE §13.4): a restore refused part way, a console
// that does not start. The state it read is no longer what the services
// are (the launcher reaps, the poller reads, timers fire): the rollback is
// then an upgrade in place to the former binary, the state exported from
// the tree as an upgrade exports it (upgrader.freeze), with the fds of the
// tree, and the exec back told it is a rollback (rollbackEnv), as the one
// before the takeover (rollback.go).

// rollbackSettle bounds the retries of an export refused (a proxy
// starting a service, a launch under way) before the rollback freezes.
var rollbackSettle = 5 * time.Second

// taken is what serve made that a rollback after the takeover exports,
// or waits for.
type taken struct {
	tree  *actors.Tree
	lk    *lock
	ln    net.Listener
	addr  Address
	httpd *httpServer
	// relay starts the signal relays (once), those held until then
	// refused: a shutdown, an upgrade (REFERENCE §13.5)
	relay func()
	done  <-chan struct{} // closed once a shutdown completed
	sweep func()          // ends the orphans left at the end of a shutdown
}

// failTaken is what the new cfkd of an upgrade in place does with why, a
// failure once its tree took the services over: it logs it and rolls back
// as an upgrade to the former binary; it returns why only when it cannot
// (no former binary, this cfkd is that former one already, a state the
// former cannot read, the export or the exec failed: everything is thawed
// then). A nil adoption (a plain start) returns why.
//
// The controller is told first (actors.RollingBack), then the signals
// are relayed: a shutdown asked from then on is refused, as while an
// upgrade runs (REFERENCE §13.5), and the rollback goes on; it would
// refuse the export, and cfkd would stop after the retries instead of
// rolling back. One asked before (a signal once the relays ran) goes on
// instead: no rollback, failTaken returns nil once every service is down.
func (a *adoption) failTaken(u *upgrader, f Flags, t taken, why error) error {
	if a == nil || !a.canRollBack(f, why) {
		return why
	}
	a.say(f, fmt.Sprintf("upgrade: cfkd %s failed after it took the services over: %v: rolling back to the former cfkd (%s), as an upgrade in place to it",
		messages.Version, why, a.former.path))
	rollbackStartHold() // the tests' failing build only
	r, err := t.tree.Request(actors.RollingBack{}, askTimeout)
	if err == nil {
		err = r.Err
	}
	if errors.Is(err, actors.ErrShuttingDown) {
		a.say(f, "upgrade: a shutdown was asked before the rollback: no rollback, cfkd shuts down")
		<-t.done
		t.sweep()
		a.log.Info("cfkd exiting")
		return nil
	}
	if err == nil {
		t.relay()
		u.mu.Lock()
		u.tree, u.lk, u.ln, u.addr, u.httpd = t.tree, t.lk, t.ln, t.addr, t.httpd
		u.mu.Unlock()
		err = u.rollBack(t.tree, a.former, a.st.Version, f, why)
	}
	a.say(f, fmt.Sprintf("upgrade: the rollback to %s failed: %v: cfkd stops here", a.former.path, err))
	return why
}

// rollBack is an upgrade in place to the former binary fm, whose state
// was of version formerState (the newest it reads), with no check (the
// binary wrote this cfkd's state) and no console to drain; it returns
// only when it could not.
func (u *upgrader) rollBack(tree *actors.Tree, fm *former, formerState int, f Flags, why error) error {
	if v := upgrade.Version(); v > formerState {
		return fmt.Errorf("the former cfkd reads states of version %d at most, this one writes %d", formerState, v)
	}
	path, err := fm.execPath()
	if err != nil {
		return err
	}
	if !u.running.CompareAndSwap(false, true) { // no console yet: cannot be
		return errors.New("an upgrade is already under way")
	}
	defer u.running.Store(false)
	defer os.Remove(u.stateFile()) // still here: the rollback failed
	end := time.Now().Add(rollbackSettle)
	for said := false; ; {
		_, err := u.exportUnfrozen(tree)
		if err == nil {
			err = rollbackHold() // the tests' failing build only
		}
		if err == nil {
			break
		}
		if time.Now().After(end) {
			return err
		}
		if !said {
			said = true
			u.log.Warnf("upgrade: the rollback's export was refused: %v: trying again for %v", err, rollbackSettle)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, files, copyVar, err := u.freeze(tree)
	if err != nil {
		return err
	}
	u.log.Infof("upgrade: exec %s to roll back (%d services, %d fds cross)", path, len(st.Services), len(st.Fds()))
	if w := u.router.Drain(2 * time.Second); len(w) > 0 {
		warnUnwritten(u.log, u.router, w)
	}
	err = execInPlace(path, os.Args, append(rollbackEnvOf(u.stateFile(), f, why), copyVar))
	setInherit(st.Fds(), false)
	closeFiles(files)
	u.thaw(tree, true)
	return fmt.Errorf("exec %s: %w", path, err)
}
