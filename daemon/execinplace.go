package daemon

import (
	"sync/atomic"
	"syscall"

	"github.com/cfk/cfk/internal/nowait"
)

// startNofile is the soft RLIMIT_NOFILE cfkd was started with, once a
// failed exec has shown it (execInPlace).
var startNofile atomic.Pointer[syscall.Rlimit]

// execInPlace is the execve of an upgrade in place (REFERENCE §13.3), with
// HUP, INT, USR1, USR2, TERM and QUIT held across it
// (holdSignalsForExec). When it
// returns, the exec failed and cfkd goes on as it was, its soft limit of
// open files included: Go's syscall.Exec gives the new program the soft
// RLIMIT_NOFILE cfkd was started with by lowering cfkd's own before the
// execve, and leaves it lowered when the execve fails, so cfkd would go on
// with 1024 where it had the hard limit, too few for the fds its services
// hold (every new pipe, connection or log file then fails with EMFILE).
// It is put back. Go no longer lowers it at a later exec (it forgets the
// original once it has set it), so that limit, remembered, is set here
// then: the new cfkd starts with it, as its services do. What cfkd queued
// for its stderr (a rollback's message) is written first, waited for
// nowait.StderrBound at most, as at an exit (REFERENCE §7.4): the exec
// would drop it.
func execInPlace(path string, argv, env []string) error {
	nowait.Stderr.Flush(nowait.StderrBound)
	var before syscall.Rlimit
	haveLimit := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before) == nil
	if start := startNofile.Load(); haveLimit && start != nil && *start != before {
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, start)
	}
	restore := holdSignalsForExec()
	err := syscall.Exec(path, argv, env)
	restore()
	var now syscall.Rlimit
	if haveLimit && syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now) == nil && now != before {
		startNofile.CompareAndSwap(nil, &now)
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &before)
	}
	return err
}
