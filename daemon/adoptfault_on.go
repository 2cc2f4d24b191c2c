//go:build cfkadoptfault

package daemon

import (
	"fmt"
	"os"
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
