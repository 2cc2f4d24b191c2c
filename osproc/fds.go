package osproc

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The fds of cfkd and its children (REFERENCE §7.6).
//
// A running service whose two streams are captured holds 2 fds in cfkd:
// the read ends of its pipes, owned by the output poller. A fork under way
// holds 4 more for a few milliseconds: the write ends of its pipes, closed
// right after the fork, and the status pipe syscall.ForkExec opens to learn
// whether the exec succeeded. Launch creates the pipes only once it holds a
// fork slot: a start waiting for a slot holds no fd, so a mass start of N
// services peaks at 2N + 4 × the forks under way + cfkd's own fds. A pipe
// whose read end goes to the caller (Spec.StderrPipe: a ready=exec: try's
// stderr) is one of them, made and checked against FdReserve alike.
const (
	// FdsPerService is what one running service (both streams captured)
	// holds in cfkd.
	FdsPerService = 2
	// FdReserve is how many of the last fds of cfkd's table no launch
	// takes: they stay free for cfkd itself (an admin connection, a log
	// file reopened, a socket bound, a proxy's pipes) when services fill
	// the rest. A launch whose pipes would land there fails with EMFILE,
	// a shortage that is retried, never the service's failure (REFERENCE
	// §2.1).
	FdReserve = 16
	// forkFds is what one fork under way holds beyond its service's 2.
	forkFds = 4
)

// ServiceRoom says how many services, each holding FdsPerService fds,
// fit under a soft fd limit with open fds in use already: what is left
// once FdReserve and one fork under way are set aside.
func ServiceRoom(limit uint64, open int) int {
	if limit > 1<<30 {
		limit = 1 << 30
	}
	room := (int(limit) - open - FdReserve - forkFds) / FdsPerService
	return max(room, 0)
}

// AtReserve moves f to the first free number from limit − FdReserve,
// among the last fds of a table of limit that no launch takes: the
// admin console's fd in reserve (REFERENCE §7.6). It closes f and
// returns the moved file; on an error it returns f as it was.
func AtReserve(f *os.File, limit uint64) (*os.File, error) {
	from := int(min(limit, 1<<30)) - FdReserve
	top, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, from)
	if err != nil {
		return f, fmt.Errorf("an fd from number %d: %w", from, err)
	}
	f.Close()
	return os.NewFile(uintptr(top), f.Name()), nil
}

// GrowFdTable has the kernel size cfkd's fd table for a soft limit of
// limit now, as the admin console's fd in reserve (AtReserve) will have
// it later: the kernel grows a table by copying it and, in a process
// with threads, by waiting for an RCU grace period, during which every
// thread that opens an fd waits too (8 to 16 ms measured on a 2-core
// guest). cfkd calls it once at start, before it listens, so that this
// wait is on no client's way and no mass start's (which would otherwise
// grow the table in steps: 256, 512... fds). A table never shrinks; the
// cost is kernel memory, about 8 bytes per fd of the limit rounded up to
// a power of two (256 KiB for 20,000). It does nothing above 1<<30 (no
// such limit is taken) and leaves no fd open; an error (the limit
// lowered meanwhile) only leaves the growth to later.
func GrowFdTable(limit uint64) error {
	if limit <= FdReserve || limit > 1<<30 {
		return nil
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		return fmt.Errorf("grow the fd table: %w", err)
	}
	f, err = AtReserve(f, limit)
	f.Close()
	if err != nil {
		return fmt.Errorf("grow the fd table to %d fds: %w", limit-FdReserve+1, err)
	}
	return nil
}

// forkSlots bounds the forks under way at once (maxForks: each holds an OS
// thread blocked in vfork until its child has exec'd) and lets a fork that
// ran short of fds wait for the others to end: while other forks are
// under way the fds they hold for a moment may be what is missing, and
// they give them back within milliseconds.
type forkSlots struct {
	mu sync.Mutex
	// slot wakes one start waiting for a free slot (each slot given back
	// frees one: waking them all, up to thousands in a mass start, cost
	// seconds); others wakes the forks waiting for another to end;
	// barrier wakes a holdAll waiting for the one under way to end.
	slot    sync.Cond
	others  sync.Cond
	barrier sync.Cond
	max     int
	busy    int    // slots taken
	freed   uint64 // slots given back so far
	// holding: a holdAll is taking, or holds, every slot: another waits
	// for its giveAll before it takes any
	holding bool
	// stopped: cfkd's shutdown has begun (StopLaunching): no slot is
	// taken any more
	stopped bool
	// waiting, when set, is called (under mu) by a take about to wait
	// for a slot (a test waits for it)
	waiting func()
}

func newForkSlots(n int) *forkSlots {
	s := &forkSlots{max: n}
	s.slot.L, s.others.L, s.barrier.L = &s.mu, &s.mu, &s.mu
	return s
}

// holdAll takes every slot, one at a time as the forks under way give
// them back, whether stop was called or not: TargetOrphans' barrier,
// which waits for the forks under way, which a shutdown does not stop
// (REFERENCE §7.5). One holdAll at a time takes slots: another waits for
// its giveAll first. Two that took slots side by side (the scan of one
// service's exit, and the next round of the orphans of another's) could
// each end up holding part of them, waiting for the rest for ever: every
// launch waited for a slot from then on, every exit cfkd had to scan for
// orphans was never told to its service, and the shutdown's own sweep
// waited too (a restart never answered, a SIGTERM that never ended cfkd).
func (s *forkSlots) holdAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holding && s.waiting != nil {
		s.waiting()
	}
	for s.holding {
		s.barrier.Wait()
	}
	s.holding = true
	for range s.max {
		if s.busy >= s.max && s.waiting != nil {
			s.waiting()
		}
		for s.busy >= s.max {
			s.slot.Wait()
		}
		s.busy++
	}
}

// giveAll gives back every slot holdAll took, and lets the next holdAll
// go on.
func (s *forkSlots) giveAll() {
	s.mu.Lock()
	s.busy -= s.max
	s.freed += uint64(s.max)
	s.holding = false
	s.mu.Unlock()
	s.barrier.Signal()
	for range s.max {
		s.slot.Signal()
	}
	s.others.Broadcast()
}

// take takes one slot, waiting for one to be free, and returns true; or
// returns false, no slot taken, once stop was called, also while it
// waits.
func (s *forkSlots) take() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy >= s.max && !s.stopped && s.waiting != nil {
		s.waiting()
	}
	for s.busy >= s.max && !s.stopped {
		s.slot.Wait()
	}
	if s.stopped {
		return false
	}
	s.busy++
	return true
}

// stop makes every take, those waiting and those to come, return false.
// It does not wait: the slots taken are given back as their forks end.
func (s *forkSlots) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.slot.Broadcast()
}

// stopping says whether stop was called.
func (s *forkSlots) stopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// give gives one slot back.
func (s *forkSlots) give() {
	s.mu.Lock()
	s.busy--
	s.freed++
	s.mu.Unlock()
	s.slot.Signal()
	s.others.Broadcast()
}

// waitForOthers is for a fork that holds a slot, ran short of fds and
// closed those it had opened. When other slots are taken (forks under way,
// which may hold the fds it missed), it gives its slot back, waits until
// one of them is given back, takes a slot again and returns true: try
// again. With no other slot taken the shortage is not theirs: false, at
// once.
//
// A fork waiting here is not counted among the slots taken, so the last
// fork under way that runs short returns false instead of waiting: the
// wait always ends, when a fork under way gives its slot back.
func (s *forkSlots) waitForOthers() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy <= 1 {
		return false
	}
	s.busy--
	s.slot.Signal() // a slot is free: a start waiting in take may go
	for seen := s.freed; s.freed == seen; {
		s.others.Wait()
	}
	for s.busy >= s.max {
		s.slot.Wait()
	}
	s.busy++
	return true
}

// fdShortage says whether err is a want of fds (cfkd's or the system's).
func fdShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// childFds are the fds of one fork: the files the child gets as its fds
// 0, 1, 2, 3..., the read ends of the output pipes cfkd keeps (-1: stream
// not captured), and the fds to close right after the fork (the pipes'
// write ends, the dups made by placeBelow): the child has its own copies.
type childFds struct {
	files      []uintptr
	outR, errR int
	after      []int
}

// openChildFds opens the output pipes of spec and lays out the files of
// the child. On error nothing stays open.
func (l *Launcher) openChildFds(spec Spec, stdin *os.File) (c childFds, err error) {
	c.outR, c.errR = -1, -1
	defer func() {
		if err != nil {
			c.closeAll()
		}
	}()
	outR, outW, err := outputPipe(spec.Stdout != nil || spec.StdoutLines != nil)
	if err != nil {
		return c, err
	}
	c.outR = outR
	if outW >= 0 {
		c.after = append(c.after, outW)
	}
	errR, errW, err := outputPipe(spec.StderrPipe || spec.Stderr != nil || spec.StderrLines != nil)
	if err != nil {
		return c, err
	}
	c.errR = errR
	if errW >= 0 {
		c.after = append(c.after, errW)
	}
	null := l.devnull.Fd()
	c.files = []uintptr{stdin.Fd(), fdOr(outW, null), fdOr(errW, null)}
	for _, f := range spec.ExtraFiles {
		c.files = append(c.files, f.Fd())
	}
	limit := softFdLimit()
	for _, fd := range []int{outR, outW, errR, errW} {
		if fd >= limit-FdReserve {
			return c, fmt.Errorf("pipe: %w (the last %d are kept for cfkd)", syscall.EMFILE, FdReserve)
		}
	}
	return c, c.placeBelow(limit)
}

// placeBelow moves the child's files whose numbers are too close to the
// fd limit to lower numbers.
//
// In the child, syscall.ForkExec moves its status pipe to the number
// above the highest of the child's files (dup3 to max+1), and there too,
// one after the other, each file listed at a position above its own
// number (fd < i). A dup3 to a number at or over RLIMIT_NOFILE fails with
// EBADF: a child file with the last number of the table (what a pipe gets
// when the table is nearly full) made the start fail with `exec CMD: bad
// file descriptor`, a service's failure for what is cfkd's shortage. So
// every file must be at most limit-2-len(files): one above it is dup'ed
// to the lowest free number (F_DUPFD_CLOEXEC, closed after the fork);
// when no number low enough is free, the table is full: EMFILE, as the
// status pipe would get.
func (c *childFds) placeBelow(limit int) error {
	top := limit - 2 - len(c.files)
	var moved map[uintptr]uintptr
	for i, fd := range c.files {
		if int(fd) <= top {
			continue
		}
		if nfd, ok := moved[fd]; ok {
			c.files[i] = nfd
			continue
		}
		nfd, err := unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			return fmt.Errorf("dup: %w", err)
		}
		c.after = append(c.after, nfd)
		if nfd > top {
			return fmt.Errorf("dup: %w", syscall.EMFILE)
		}
		if moved == nil {
			moved = make(map[uintptr]uintptr)
		}
		moved[fd] = uintptr(nfd)
		c.files[i] = uintptr(nfd)
	}
	return nil
}

// closeChild closes what the child has its own copies of, once forked.
func (c *childFds) closeChild() {
	closeFds(c.after...)
	c.after = nil
}

// closeAll closes every fd of the fork (it failed).
func (c *childFds) closeAll() {
	c.closeChild()
	closeFds(c.outR, c.errR)
	c.outR, c.errR = -1, -1
}

// softFdLimit is the soft RLIMIT_NOFILE of the process, read at each
// launch (prlimit(1) may change it from outside).
func softFdLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 1 << 30
	}
	return int(lim.Cur)
}
