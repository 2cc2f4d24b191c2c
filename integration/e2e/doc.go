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
//
// The tests mostly wait for cfkd, a race-built binary slow to start and to
// stop: those that share nothing with the others (their own home, no
// environment set, no limit changed, no count of the machine's processes,
// no bound on how long cfkd takes) are marked t.Parallel, and TestMain
// runs 4 of them at a time (-parallel, when not given: at least 4, not
// GOMAXPROCS). The test hooks of cfkd exist only in a cfkd built with
// -tags cfkadoptfault (upgradeFaultBin builds it once), read from
// test-only environment variables its cfkd gets: the faults and holds of
// an upgrade's rollback (_CFKD_TEST_ADOPT_FAULT and the others, package
// daemon), and _CFKD_TEST_SPARE_IDLE (actors.SpareIdleEnv), which
// shortens the idle bound of a client on the accept spare. The cfkd the
// other tests run, as users do, has none of them.
package e2e
