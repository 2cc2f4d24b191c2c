//go:build !linux

package osproc

// withNoSignalBlocked runs f: on macOS and FreeBSD a service starts with
// the signals blocked that cfkd was started with blocked (REFERENCE §11).
func withNoSignalBlocked(f func()) { f() }
