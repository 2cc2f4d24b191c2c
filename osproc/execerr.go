package osproc

import "syscall"

// ExecError is a child's failure after its fork: its set-up (credential,
// working directory, fds) or its execve failed with Errno. The process
// existed and is gone; no fork of cfkd's failed. An EAGAIN or ENOMEM here
// is the service's (its user's RLIMIT_NPROC, checked at execve since
// Linux 3.1; a program too large), not a shortage of cfkd's (REFERENCE
// §2.1). It unwraps to Errno. Linux only: elsewhere, and on the portable
// path, the runtime does not say which failed, and Launch returns the
// errno alone.
type ExecError struct{ Errno syscall.Errno }

func (e *ExecError) Error() string { return e.Errno.Error() }

func (e *ExecError) Unwrap() error { return e.Errno }
