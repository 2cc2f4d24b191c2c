//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Process handles on Linux are pidfds (Linux 5.3, pidfd_open(2)); see
// nopidfd.go for the other systems and -tags cfkportable (REFERENCE §11).

// Pidfds says whether processes are held by pidfds here: a process that
// is not cfkd's child can then be signalled safely (Handle, OpenTarget).
const Pidfds = true

// Pidfd is a handle on one process that is not cfkd's child (a service
// forked by a proxy): a signal sent through it reaches that process or
// nobody, never another process that got the pid after it was reaped.
type Pidfd struct {
	mu sync.Mutex
	fd int // -1 once closed
}

// OpenChildPidfd takes a handle on pid and checks, after taking it, that
// the process is a child of parent: the handle then holds that process,
// and not one that reused the pid after parent reaped its own (Linux 5.3,
// pidfd_open(2)). A process that had exited before is ErrEnded: the pid
// names no process (the parent reaped it), or the pidfd taken shows an
// exit while the process is no longer parent's child (reaped between the
// two: the same process, or one that got its pid since and has exited
// too; either way the process reported has ended). Only a live process
// that is not parent's child is "not a child". It reads /proc: call it
// outside an actor's Receive.
func OpenChildPidfd(pid, parent int) (*Pidfd, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, fmt.Errorf("process %d: %w", pid, ErrEnded)
	}
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	unix.CloseOnExec(fd)
	if info, ok := ReadProc(pid); !ok || info.Ppid != parent {
		ended := pidfdExited(fd)
		unix.Close(fd)
		if ended {
			return nil, fmt.Errorf("process %d: %w", pid, ErrEnded)
		}
		return nil, fmt.Errorf("process %d is not a child of %d", pid, parent)
	}
	return &Pidfd{fd: fd}, nil
}

// pidfdExited says whether the process fd holds has exited (its pidfd is
// readable: a zombie, or reaped), without waiting; false when poll(2)
// fails.
func pidfdExited(fd int) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
}

// Signal sends sig to the process; ESRCH once it has exited.
func (p *Pidfd) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd < 0 {
		return syscall.ESRCH
	}
	return unix.PidfdSendSignal(p.fd, sig, nil, 0)
}

// Close releases the handle; it may be called more than once.
func (p *Pidfd) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fd >= 0 {
		unix.Close(p.fd)
		p.fd = -1
	}
}

// Handle returns a process that parent (a proxy, cfkd's child) forked
// and reported as pid: Signal then goes through a pidfd, so that it
// reaches that process or nobody, and to its process group too when it
// leads one (a proxy starts a service in a session of its own, unless
// no_new_session), as a direct child's group gets them: a SIGKILL to
// the pid alone left the service's other processes running, unsupervised,
// and a next start ran a second set. It reads /proc: call it outside an
// actor's Receive. Close releases the handle.
func (l *Launcher) Handle(pid, parent int) (*Process, error) {
	fd, err := OpenChildPidfd(pid, parent)
	if err != nil {
		return nil, err
	}
	// read once the pidfd holds pid: it is parent's child, and its group
	// is its own only if it made it so (setsid, setpgid); never cfkd's
	pg, err := syscall.Getpgid(pid)
	group := err == nil && pg == pid && pg != l.ownPgrp
	return &Process{Pid: pid, group: group, procHandle: procHandle{pidfd: fd}}, nil
}

// Close releases the handle of a process got from Handle (a no-op for a
// child of the launcher).
func (p *Process) Close() {
	if p != nil && p.pidfd != nil {
		p.pidfd.Close()
	}
}

// procHandle is the handle of a Process got from Handle.
type procHandle struct {
	pidfd *Pidfd // nil: a child of the launcher
}

// signalHandle signals a process got from Handle; handled is false for
// any other Process.
func (p *Process) signalHandle(sig syscall.Signal) (handled bool, err error) {
	if p.pidfd == nil {
		return false, nil
	}
	grouped := false
	if p.group && p.pidfd.Signal(0) == nil {
		// the leader is not reaped (its pidfd says so): no other group
		// can have its pid for an id, so -Pid is its own
		grouped = syscall.Kill(-p.Pid, sig) == nil // ESRCH: the group is gone already
		if grouped && p.inGroup() {
			// the group's signal reached the leader: the pidfd's would
			// give it a second one (a HUP that reloads it twice, a
			// USR2 that re-executes it twice)
			return true, nil
		}
	}
	if err := p.pidfd.Signal(sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			if grouped {
				// the group's signal reached the leader, and its
				// parent (a proxy) reaped it before this one
				return true, nil
			}
			return true, ErrDone
		}
		return true, fmt.Errorf("pidfd_send_signal %d: %w", p.Pid, err)
	}
	return true, nil
}

// inGroup tells whether p, after its group was signalled, was in that
// group: it still leads it, or it was reaped meanwhile (the signal then
// reached it, or it had ended). One that left it (setpgid to another group
// of its session, which a session leader cannot do) is not.
func (p *Process) inGroup() bool {
	return leadsGroup(p.Pid, func() bool { return p.pidfd.Signal(0) != nil })
}

// leadsGroup tells whether pid, whose group was just signalled, was in
// it: it still leads it, or it is gone (reaped: gone reports it, through
// the process's pidfd). The group is read through the pid: valid while
// gone says, after the read, that it is not reaped yet (a pid reused
// meanwhile has another's group).
func leadsGroup(pid int, gone func() bool) bool {
	pg, err := syscall.Getpgid(pid)
	return err != nil || pg == pid || gone()
}

// handles is what a Launcher keeps for its process handles: nothing, the
// pidfds are the handles.
type handles struct{}

// reapedTarget tells the Targets on pid that it was reaped: with pidfds
// they see it themselves.
func (l *Launcher) reapedTarget(pid int) bool { return false }

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

// targetChild takes a Target on pid, a child of the launcher that Launch
// did not start (an adopted orphan), for TargetOrphans, which holds l.mu
// and checks it after. keepTarget then keeps it.
func (l *Launcher) targetChild(pid int) (*Target, error) {
	return OpenTarget(pid, false)
}

// keepTarget: nothing to keep, the pidfd holds the process.
func (l *Launcher) keepTarget(t *Target) {}

// Close releases the pidfd.
func (t *Target) Close() {
	if t.fd >= 0 {
		syscall.Close(t.fd)
		t.fd = -1
	}
}

// signal sends sig to the target: its group when it leads one, else (or
// when it left that group) the process itself through its pidfd. Once:
// a daemon may take a second SIGTERM for "quit now".
func (t *Target) signal(sig syscall.Signal) {
	if t.Group && t.Pid != syscall.Getpgrp() && syscall.Kill(-t.Pid, sig) == nil &&
		leadsGroup(t.Pid, func() bool { return unix.PidfdSendSignal(t.fd, 0, nil, 0) != nil }) {
		return // the group's signal reached it, or it is gone
	}
	unix.PidfdSendSignal(t.fd, sig, nil, 0) // ESRCH: it has exited already
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
