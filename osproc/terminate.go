package osproc

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Target is one process to terminate, held by a pidfd: a signal sent
// through it never reaches another process that reused the pid, and its
// exit is seen (the pidfd turns readable) whoever reaps it.
type Target struct {
	Pid int
	// Group: the process leads its process group; the whole group is
	// signalled (never cfkd's own).
	Group bool
	fd    int
}

// OpenTarget takes a pidfd on pid. The caller checks after it that pid is
// still the process it means (its parent, its environment): a pid reused
// before the pidfd was taken is caught by that check, one reused after it
// cannot matter.
func OpenTarget(pid int, group bool) (*Target, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	syscall.CloseOnExec(fd) // pidfds are close-on-exec already; be sure
	return &Target{Pid: pid, Group: group, fd: fd}, nil
}

// Close releases the pidfd.
func (t *Target) Close() {
	if t.fd >= 0 {
		syscall.Close(t.fd)
		t.fd = -1
	}
}

// signal sends sig to the target: its group when it leads one, and the
// process itself through its pidfd.
func (t *Target) signal(sig syscall.Signal) {
	if t.Group && t.Pid != syscall.Getpgrp() {
		syscall.Kill(-t.Pid, sig) // ESRCH: the group is gone already
	}
	unix.PidfdSendSignal(t.fd, sig, nil, 0) // ESRCH: it has exited already
}

// Terminate sends SIGTERM to every target, waits up to grace for them to
// exit, sends SIGKILL to those still alive and waits up to grace again. It
// returns the pids that needed SIGKILL, and those still alive after it
// (in uninterruptible sleep, say). It closes the targets.
//
// It blocks up to 2×grace, in poll(2) on the pidfds (no polling loop):
// call it where a bounded wait is fine (cfkd's start-up or the end of its
// shutdown) or from a goroutine of its own.
func Terminate(ts []*Target, grace time.Duration) (killed, survived []int) {
	defer func() {
		for _, t := range ts {
			t.Close()
		}
	}()
	for _, t := range ts {
		t.signal(syscall.SIGTERM)
	}
	left := waitExit(ts, grace)
	for _, t := range left {
		t.signal(syscall.SIGKILL)
		killed = append(killed, t.Pid)
	}
	for _, t := range waitExit(left, grace) {
		survived = append(survived, t.Pid)
	}
	return killed, survived
}

// waitExit waits until every target has exited or d has passed, and
// returns those still alive.
func waitExit(ts []*Target, d time.Duration) []*Target {
	end := time.Now().Add(d)
	left := append([]*Target(nil), ts...)
	for len(left) > 0 {
		fds := make([]unix.PollFd, len(left))
		for i, t := range left {
			fds[i] = unix.PollFd{Fd: int32(t.fd), Events: unix.POLLIN}
		}
		ms := int((time.Until(end) + time.Millisecond - 1) / time.Millisecond) // rounded up
		if ms < 0 {
			ms = 0
		}
		n, err := unix.Poll(fds, ms)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return left
		}
		if n > 0 {
			alive := left[:0]
			for i, t := range left {
				if fds[i].Revents == 0 {
					alive = append(alive, t)
				}
			}
			left = alive
		}
		if n == 0 && ms == 0 {
			break
		}
	}
	return left
}
