// Package e2e tests the built binaries end to end: cfkd started as a real
// daemon in a throwaway home, driven over its admin socket with raw
// protocol bytes and with cfkctl. The shared-socket tests run python3
// workers (testdata/sockcat.py, examples/prefork/worker.py; skipped when
// python3 is missing), and load_test.go keeps sending HTTP requests to the
// prefork example while its workers are restarted.
//
// It is a package of its own because it runs helper commands with os/exec
// (go build, cfkd, cfkctl): it must not share a process with a reaper
// doing wait4(-1). Every test kills every process it caused, also on
// failure: cfkd is stopped, and any process whose environment carries the
// test's CFKD_HOME is killed.
package e2e
