// Package integration holds cfk's end-to-end tests: they build the real
// actor tree in-process with the real launcher and drive it with messages
// (lifecycle_test.go and friends), and benchmarks against a plain fork/exec
// baseline measured in the same run.
//
// Some services are this test binary itself: TestMain runs a helper
// instead of the tests when CFK_TEST_HELPER is set in its environment
// (`activated`: a socket-activated HTTP server using go-systemd's
// activation package; `sockcat`: the original's accept-and-print worker).
//
// Invariants of every test here: it waits for events (ServiceStateChanged,
// log lines) with a deadline, never asserts after a bare sleep, and kills
// every process it started, also when it fails; TestMain checks at the end
// that the test process has no child left.
package integration
