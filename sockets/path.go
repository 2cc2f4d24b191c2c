package sockets

import (
	"fmt"
	"time"

	"github.com/cfk/cfk/internal/nss"
)

// This file bounds the file system work on a UNIX socket's path (its
// directories made, the stale socket probed and removed, the bind, the
// chown and chmod, its removal at the close): run off the socket actor,
// it may still never end, on a hung NFS or FUSE mount (REFERENCE §3).

// PathTimeout bounds the file system work of a UNIX socket's bind, and of
// its close.
const PathTimeout = nss.Timeout

// PathTimeoutError is file system work on a UNIX socket's path that did
// not end in time.
type PathTimeoutError struct {
	Op    string // bind, remove, lstat
	Path  string
	After time.Duration
}

func (e *PathTimeoutError) Error() string {
	return fmt.Sprintf("%s %s: the file system did not answer within %v", e.Op, e.Path, e.After)
}

// onPath runs fn, the file system work op on path, and waits for it at
// most timeout (pathTimeout, read by the actor): then a
// *PathTimeoutError. fn cannot be cancelled: it goes on in its
// goroutine, and late, if not nil, gets what it returns, if it ever does
// (a listener bound too late is closed then, its file removed).
func onPath[T any](op, path string, timeout time.Duration, fn func() (T, error), late func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
		if late != nil {
			go func() {
				if r := <-done; r.err == nil {
					late(r.v)
				}
			}()
		}
		var zero T
		return zero, &PathTimeoutError{Op: op, Path: path, After: timeout}
	}
}

// How long the file system work on a path may take, and what is called
// as it begins (op: bind, remove, lstat): a test makes it hang, as a path
// on a hung mount would, then fail (an error ends the work there).
var (
	pathTimeout = PathTimeout
	pathHook    = func(op, path string) error { return nil }
)
