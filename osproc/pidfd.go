package osproc

import (
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

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
// pidfd_open(2)). It reads /proc: call it outside an actor's Receive.
func OpenChildPidfd(pid, parent int) (*Pidfd, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	unix.CloseOnExec(fd)
	if info, ok := ReadProc(pid); !ok || info.Ppid != parent {
		unix.Close(fd)
		return nil, fmt.Errorf("process %d is not a child of %d", pid, parent)
	}
	return &Pidfd{fd: fd}, nil
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
// reaches that process or nobody. It reads /proc: call it outside an
// actor's Receive. Close releases the handle.
func (l *Launcher) Handle(pid, parent int) (*Process, error) {
	fd, err := OpenChildPidfd(pid, parent)
	if err != nil {
		return nil, err
	}
	return &Process{Pid: pid, pidfd: fd}, nil
}

// Close releases the handle of a process got from Handle (a no-op for a
// child of the launcher).
func (p *Process) Close() {
	if p != nil && p.pidfd != nil {
		p.pidfd.Close()
	}
}
