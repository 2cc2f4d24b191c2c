//go:build linux && !cfkportable

package osproc

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/nss"
	"golang.org/x/sys/unix"
)

// The bounded waits of a fork through the fork server (REFERENCE §2.1,
// §7.6). The helper answers once the child has exec'd (or failed to):
// syscall.ForkExec waits for the exec (CLONE_VFORK). A child whose chdir
// or execve hangs (its cwd or program on an NFS or FUSE mount that hung
// after the stats of pathbound.go, or that answers a stat from its cache
// and hangs on the read) held cfkd in its receive for ever: the launch,
// its fork slot, the service's start and with it its stop, its destroy
// and cfkd's shutdown. So cfkd waits forkTimeout for the reply, then
// gives the launch up (a *lateFork: cfkd's trouble, not the service's).
// The helper's thread is still in that fork: its connection is out of
// use until the reply comes, which a goroutine of its own waits for,
// then hands to the launcher (onLate: a child is killed and reaped, its
// fork ended as any) and gives the connection back.
//
// A start waits forkTimeout at most for a free connection too, and fails
// at once when every connection waits for a late reply, or when one waits
// for the same fork (program and cwd): one hung path holds one connection,
// not one per retry of its service.

// forkTimeout bounds each wait of a fork through the fork server: for a
// free connection, then for the reply; a Launcher's SetForkTimeout
// replaces it for its own (tests shorten it).
var forkTimeout = PathTimeout

// wait is the bound of each wait of a fork through s: forkTimeout, or
// what SetForkTimeout set.
func (s *forkServer) wait() time.Duration {
	if d := s.timeout.Load(); d > 0 {
		return time.Duration(d)
	}
	return forkTimeout
}

// setTimeout replaces forkTimeout for s's forks (0: forkTimeout again).
func (s *forkServer) setTimeout(d time.Duration) {
	if s != nil {
		s.timeout.Store(int64(max(d, 0)))
	}
}

// lateKey is what a late reply's fork was of: a fork of the same is
// refused at once while it is late.
type lateKey struct{ path, dir string }

// String is the late fork in a TimeoutError: `exec of /mnt/x/bin/app
// (cwd /mnt/x)`.
func (k lateKey) String() string {
	if k.dir == "" {
		return "exec of " + k.path
	}
	return fmt.Sprintf("exec of %s (cwd %s)", k.path, k.dir)
}

// takeConn takes a free connection, waiting bound at most for one; the
// error is a *nss.TimeoutError.
func (s *forkServer) takeConn(fork lateKey, bound time.Duration) (int, error) {
	s.mu.Lock()
	for _, k := range s.late {
		if k == fork {
			s.mu.Unlock()
			return 0, &nss.TimeoutError{Lookup: fork.String(), After: bound}
		}
	}
	s.mu.Unlock()
	select {
	case conn := <-s.conns:
		return conn, nil
	default:
	}
	if busy, ok := s.busy(true, bound); !ok {
		return 0, busy
	}
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case conn := <-s.conns:
		return conn, nil
	case <-t.C:
		busy, _ := s.busy(false, bound)
		return 0, busy
	}
}

// busy is the error of a start that found no free connection, after
// bound. ok, when asked (wait), says whether one may come back within
// bound: not when every connection waits for a late reply.
func (s *forkServer) busy(wait bool, bound time.Duration) (err error, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var paths []string
	for _, k := range s.late {
		if !slices.Contains(paths, k.path) {
			paths = append(paths, k.path)
		}
	}
	slices.Sort(paths)
	what := fmt.Sprintf("fork server (its %d connections busy", cap(s.conns))
	if len(s.late) > 0 {
		if len(paths) > 3 {
			paths = append(paths[:3], "...")
		}
		what += fmt.Sprintf(", %d with execs that did not answer: %s", len(s.late), strings.Join(paths, ", "))
	}
	err = &nss.TimeoutError{Lookup: what + ")", After: bound}
	return err, wait && len(s.late) < cap(s.conns)
}

// reply waits bound at most for the reply on conn: inTime is false when
// it did not come (nothing was read).
func (s *forkServer) reply(conn int, bound time.Duration) (rep forkReply, err error, inTime bool) {
	deadline := time.Now().Add(bound)
	fds := []unix.PollFd{{Fd: int32(conn), Events: unix.POLLIN}}
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return forkReply{}, nil, false
		}
		// a blocking wait, woken by the reply (or the helper's end:
		// POLLHUP), bounded by the deadline; a signal makes it EINTR
		n, err := unix.Poll(fds, int((left+time.Millisecond-1)/time.Millisecond))
		if err == syscall.EINTR || err == nil && n == 0 {
			continue
		}
		if err != nil {
			return forkReply{}, err, true
		}
		rep, err := receive(conn)
		return rep, err, true
	}
}

// wentLate takes conn out of use until the reply of fork comes, and waits
// for it in a goroutine of its own (never an actor's: it may wait for
// ever): onLate then gets it, and conn goes back to the free ones (or is
// closed, once stop closed the others).
func (s *forkServer) wentLate(conn int, fork lateKey, onLate func(pid int, err error)) {
	s.mu.Lock()
	s.late[conn] = fork
	s.mu.Unlock()
	go func() {
		rep, err := receive(conn)
		s.mu.Lock()
		delete(s.late, conn)
		closed := s.closed
		s.mu.Unlock()
		if closed {
			syscall.Close(conn)
		} else if err == nil {
			s.conns <- conn
		}
		pid, err, _ := s.outcome(rep, err)
		if err == nil && pid <= 0 {
			err = fmt.Errorf("fork server: a reply without a pid: %w", syscall.EAGAIN)
		}
		onLate(pid, err)
	}()
}
