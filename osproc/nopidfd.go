//go:build !linux || cfkportable

package osproc

import (
	"fmt"
	"syscall"
	"time"
)

// Without pidfds (macOS, FreeBSD, and Linux with -tags cfkportable;
// REFERENCE §11) cfkd holds no handle on a process that is not its child:
//
//   - Handle fails with ErrNoHandle: a service a proxy forked is never
//     signalled by cfkd (its stop is the proxy's stop command; the SIGKILL
//     after stopwait_secs is not sent).
//   - OpenTarget fails with ErrNoHandle: the processes a killed cfkd left
//     are not terminated at start-up (they are not cfkd's children).
//   - Adopted orphans, which are cfkd's children, are still terminated
//     (TargetOrphans): a child's pid cannot be reused until cfkd reaps it,
//     so a Target signals it under the reaper's mutex, only while the
//     reaper has not reaped it, and waits for the reaper to say it did.

// Pidfds says whether processes are held by pidfds here: a process that
// is not cfkd's child can then be signalled safely (Handle, OpenTarget).
const Pidfds = false

// procHandle: no Process is a handle.
type procHandle struct{}

// Handle fails: without pidfds a process that is not cfkd's child is
// never signalled (see ErrNoHandle).
func (l *Launcher) Handle(pid, parent int) (*Process, error) {
	return nil, fmt.Errorf("process %d of %d: %w", pid, parent, ErrNoHandle)
}

// Close releases the handle of a process got from Handle: there are none.
func (p *Process) Close() {}

// signalHandle: no Process is a handle.
func (p *Process) signalHandle(syscall.Signal) (handled bool, err error) { return false, nil }

// OpenTarget fails: without pidfds a process that is not cfkd's child
// cannot be held (see ErrNoHandle).
func OpenTarget(pid int, group bool) (*Target, error) {
	return nil, fmt.Errorf("process %d: %w", pid, ErrNoHandle)
}

// handles is what a Launcher keeps for its Targets: the exit each one
// waits for, by pid, closed by the reaper. Guarded by Launcher.mu.
type handles struct {
	targets map[int]*childExit
}

// childExit is the exit of one child that Targets wait for.
type childExit struct {
	reaped chan struct{} // closed by the reaper
	refs   int           // Targets holding it
}

// Target is one child of the launcher to terminate (an adopted orphan):
// signalled by pid, only while the reaper has not reaped it (under the
// reaper's mutex, so that a pid reaped and reused is never signalled), and
// waited for on the reaper.
type Target struct {
	Pid int
	// Group: the process leads its process group; the whole group is
	// signalled (never cfkd's own).
	Group bool
	l     *Launcher  // nil: not kept (keepTarget), never signalled
	exit  *childExit // set by keepTarget
}

// targetChild returns a Target on pid, a child of the launcher that
// Launch did not start (an adopted orphan), for TargetOrphans, which
// holds l.mu: the reaper cannot reap pid until it is released, and
// keepTarget then keeps it.
func (l *Launcher) targetChild(pid int) (*Target, error) {
	return &Target{Pid: pid}, nil
}

// keepTarget makes the reaper tell t when it reaps t.Pid. l.mu is held.
func (l *Launcher) keepTarget(t *Target) {
	if l.targets == nil {
		l.targets = make(map[int]*childExit)
	}
	e := l.targets[t.Pid]
	if e == nil {
		e = &childExit{reaped: make(chan struct{})}
		l.targets[t.Pid] = e
	}
	e.refs++
	t.l, t.exit = l, e
}

// reapedTarget is called by the reaper, under l.mu, for a pid Launch did
// not start: the Targets on it hear that it is reaped. It reports whether
// there were any.
func (l *Launcher) reapedTarget(pid int) bool {
	e := l.targets[pid]
	if e == nil {
		return false
	}
	close(e.reaped)
	delete(l.targets, pid)
	return true
}

// Close lets the reaper forget t.
func (t *Target) Close() {
	l := t.l
	if l == nil {
		return
	}
	l.mu.Lock()
	if l.targets[t.Pid] == t.exit {
		if t.exit.refs--; t.exit.refs == 0 {
			delete(l.targets, t.Pid)
		}
	}
	l.mu.Unlock()
	t.l = nil
}

// signal sends sig to the target's group when it leads one, else (or
// when it left that group) to the target, once, unless the reaper reaped
// it: then its pid (and group id) may be another's.
func (t *Target) signal(sig syscall.Signal) {
	l := t.l
	if l == nil {
		return
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	select {
	case <-t.exit.reaped:
		return
	default:
	}
	if t.Group && t.Pid != syscall.Getpgrp() && syscall.Kill(-t.Pid, sig) == nil {
		if pg, err := syscall.Getpgid(t.Pid); err != nil || pg == t.Pid {
			return // the group's signal reached it (mu held: not reaped)
		}
	}
	syscall.Kill(t.Pid, sig)
}

// waitExit waits until every target was reaped or d has passed, and
// returns those still alive.
func waitExit(ts []*Target, d time.Duration) []*Target {
	timer := time.NewTimer(d)
	defer timer.Stop()
	var left []*Target
	expired := false
	for _, t := range ts {
		if t.exit == nil {
			continue // never kept: not ours to wait for
		}
		if !expired {
			select {
			case <-t.exit.reaped:
				continue
			case <-timer.C:
				expired = true
			}
		}
		select {
		case <-t.exit.reaped:
		default:
			left = append(left, t)
		}
	}
	return left
}
