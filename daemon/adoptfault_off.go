//go:build !cfkadoptfault

package daemon

// adoptFault is nil in every build but the tests' failing one
// (adoptfault_on.go): the new cfkd of an upgrade in place never fails on
// purpose.
func adoptFault(step string) error { return nil }

// rollbackHold is nil but in the tests' failing build: a rollback's
// export is never held on purpose.
func rollbackHold() error { return nil }

// rollbackStartHold holds nothing but in the tests' failing build.
func rollbackStartHold() {}
