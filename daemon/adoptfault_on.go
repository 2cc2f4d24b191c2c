//go:build cfkadoptfault

package daemon

import (
	"fmt"
	"os"
	"time"

	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/upgrade"
)

// adoptFault, in a cfkd built with -tags cfkadoptfault for the tests
// only, makes the new cfkd of an upgrade in place fail at step ("state":
// once the state is read; "listeners": once the listeners are taken,
// before the services are; "restore": as if the tree's restore was
// refused once done; "console": once the tree took the services over, in
// place of the console's start) when _CFKD_TEST_ADOPT_FAULT
// names it, so that the rollback (rollback.go, rollback_taken.go) is
// tested with real binaries. No other build has it.
// With _CFKD_TEST_ADOPT_FAULT_ONCE=FILE it fails only while FILE exists,
// and removes it: once (the former cfkd of a rollback, the same build,
// does not fail).
func adoptFault(step string) error {
	if os.Getenv("_CFKD_TEST_ADOPT_FAULT") != step {
		return nil
	}
	if once := os.Getenv("_CFKD_TEST_ADOPT_FAULT_ONCE"); once != "" && os.Remove(once) != nil {
		return nil
	}
	return fmt.Errorf("the test build fails at step %q (-tags cfkadoptfault)", step)
}

// rollbackHold, with _CFKD_TEST_ROLLBACK_HOLD=FILE, refuses the export
// of a rollback after the takeover (rollback_taken.go) while FILE
// exists, so that a test acts inside that window (its retries are
// bounded as a refusal's).
func rollbackHold() error {
	file := os.Getenv("_CFKD_TEST_ROLLBACK_HOLD")
	if file == "" {
		return nil
	}
	if _, err := os.Stat(file); err != nil {
		return nil
	}
	return fmt.Errorf("the test build holds the rollback's export while %s exists (-tags cfkadoptfault)", file)
}

// rollbackStartHold, with _CFKD_TEST_ROLLBACK_START_HOLD=FILE, holds a
// rollback after the takeover before it tells the controller
// (rollback_taken.go) while FILE exists, 10 s at most, having logged so:
// a test sends a signal inside that window.
func rollbackStartHold() {
	file := os.Getenv("_CFKD_TEST_ROLLBACK_START_HOLD")
	if file == "" {
		return
	}
	said := false
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(file); err != nil {
			return
		}
		if !said {
			said = true
			fmt.Fprintf(nowait.Stderr, "cfkd: the test build holds the rollback's start while %s exists\n", file)
		}
	}
}

func init() { initHold() }

// initHold, with _CFKD_TEST_INIT_HOLD=FILE, holds the new cfkd of an
// upgrade in place in its package inits (this one, which comes after
// those of its dependencies; not its --check-upgrade) while FILE exists,
// 10 s at most, having created FILE.held: a test sends a signal inside
// the window the inits take, before Run.
func initHold() {
	file := os.Getenv("_CFKD_TEST_INIT_HOLD")
	if file == "" || os.Getenv("CFKD_UPGRADE_STATE") == "" || (len(os.Args) > 1 && os.Args[1] == upgrade.CheckFlag) {
		return
	}
	if os.WriteFile(file+".held", nil, 0o600) != nil {
		return
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(file); err != nil {
			return
		}
	}
}
