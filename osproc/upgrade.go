package osproc

import (
	"syscall"

	"github.com/sirupsen/logrus"
)

// Upgrade in place (REFERENCE §13): cfkd re-executes itself with the same
// pid, so its children stay its children. Before the exec the Launcher is
// frozen: the reaper no longer calls wait4 (an exit stays a zombie for
// the next cfkd) and the output poller no longer reads (the bytes stay in
// the pipes); Freeze hands over each pipe with its partial line. The next
// cfkd makes its Launcher with NewForAdoption (frozen from the start: no
// wait4 before every child is known again), registers each child with
// Adopt and each pipe with AdoptOutput, then calls Thaw: its first wait4
// reaps the children that died meanwhile, as if nothing had happened.

// FrozenPipe is one output pipe of a frozen Launcher: its read end (still
// open; non-blocking), whose it is (the pid and stream it was opened for,
// the Spec.Tag of the launch) and Carry, the bytes read but not yet
// emitted as a line (the partial line, then what a hold kept).
type FrozenPipe struct {
	Pid    int    `json:"pid"`
	Stream string `json:"stream"`
	Tag    string `json:"tag,omitempty"`
	// Owner is the Spec.Owner of the launch (0: none, or from a cfkd
	// before it was carried); AdoptOutput keeps it for the next Freeze
	Owner uint64 `json:"owner,omitempty"`
	Fd    int    `json:"fd"`
	Carry []byte `json:"carry,omitempty"`
}

// NewForAdoption is New for a cfkd that adopts the children of the one
// it replaces: the reaper calls no wait4 until Thaw.
func NewForAdoption(log logrus.FieldLogger) (*Launcher, error) {
	return newLauncher(log, true)
}

// Freeze stops the reaper's wait4 and the output poller's reads, and
// returns the pipes. Launch must not be called until Thaw. Callbacks
// under way end first; no line is emitted while frozen.
func (l *Launcher) Freeze() []FrozenPipe {
	l.mu.Lock()
	l.frozen = true
	l.mu.Unlock()
	l.reaping.Lock() // a reapAll under way has called its onExits
	l.reaping.Unlock()
	return l.out.freeze()
}

// Thaw undoes Freeze (or ends the adoption of NewForAdoption): the poller
// reads again and the reaper reaps whatever exited meanwhile.
func (l *Launcher) Thaw() {
	l.out.thaw()
	l.mu.Lock()
	l.frozen = false
	l.mu.Unlock()
	select { // a SIGCHLD may have come and been dropped while frozen
	case l.sigs <- syscall.SIGCHLD:
	default:
	}
}

// Adopt registers pid, a child of this process that a former cfkd
// launched, as Launch would have: onExit is called once it is reaped;
// group says it leads its process group. Call it before Thaw.
func (l *Launcher) Adopt(pid int, group bool, onExit func(pid int, ws syscall.WaitStatus)) *Process {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := &Process{Pid: pid, group: group, launched: true}
	l.procs[pid] = &entry{proc: p, onExit: onExit}
	return p
}

// AdoptOutput hands the poller fd, the read end of an output pipe a
// former cfkd read (a FrozenPipe), with its carry: emit gets every line,
// the carry's first. On error fd is closed.
func (l *Launcher) AdoptOutput(p FrozenPipe, emit func(pid int, line []byte)) error {
	return l.out.addWith(p.Fd, outputFor(emit, nil, p.Pid), pipeMeta{pid: p.Pid, stream: p.Stream, tag: p.Tag, owner: p.Owner}, p.Carry)
}

// AdoptOutputLines is AdoptOutput with the batch form of the callback
// (see Spec.StdoutLines).
func (l *Launcher) AdoptOutputLines(p FrozenPipe, lines func(pid int, l *Lines)) error {
	return l.out.addWith(p.Fd, outputFor(nil, lines, p.Pid), pipeMeta{pid: p.Pid, stream: p.Stream, tag: p.Tag, owner: p.Owner}, p.Carry)
}
