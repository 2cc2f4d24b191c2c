package osproc

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/nss"
	"github.com/sirupsen/logrus"
)

// ErrDone is returned by Signal for a process that was already reaped.
var ErrDone = errors.New("process already finished")

// ErrNoHandle is the error of Handle and OpenTarget where there are no
// pidfds (Pidfds is false: nopidfd.go): cfkd cannot hold a process that is
// not its child.
var ErrNoHandle = errors.New("no process handle on this system (pidfds are Linux's)")

// ErrEnded is the error of Handle for a process that had exited before
// the handle was taken (the proxy may have reaped it already): there is
// nothing left to signal, and no pid that may have been reused to fear.
var ErrEnded = errors.New("the process had ended before a handle on it could be taken")

// ErrCancelled is the error of a Launch that had not taken its fork slot
// when StopLaunching was called (cfkd's shutdown, REFERENCE §7.4): nothing
// was forked, and no fd opened.
var ErrCancelled = errors.New("cfkd is shutting down")

// Spec says how to run one process.
type Spec struct {
	Argv []string // Argv[0] is looked up in the PATH of Env (or cfkd's) when it has no slash
	Env  []string // the whole environment of the child
	Dir  string   // working directory; empty: cfkd's
	// Program, when set, is the program that Argv, a wrapper (the
	// LISTEN_PID shim of listen_sockets), execs in its turn: Launch looks
	// it up as it does Argv[0], so that one not found or not executable
	// is the launch's error, as without the wrapper, and not the
	// wrapper's exit 127 once it ran (REFERENCE §2.1); Process.CRLFLine
	// is its `#!` line, not the wrapper's.
	Program string
	// Setsid puts the child in a new session (and process group) that
	// Signal targets as a whole.
	Setsid bool
	// EndGroup, with Setsid: once the child has exited, what is left of
	// its process group (a child it put in the background) is killed
	// (SIGKILL) before the child is reaped, while its pid, the group's
	// id, cannot name another group. Where the reaper cannot peek at an
	// exit (canPeek: outside Linux), and for a child that exited before
	// Launch registered it, nothing is killed.
	EndGroup   bool
	Credential *syscall.Credential // nil: cfkd's own user and groups
	Stdin      *os.File            // fd 0; nil: /dev/null
	ExtraFiles []*os.File          // fds 3, 4, ... in order
	// Stdout and Stderr receive each line the child writes on fd 1 / fd 2,
	// cut as Pump does (without "\n" or "\r\n", at most MaxLine bytes);
	// line is only valid during the call. They are called from the
	// Launcher's one output poller goroutine, maybe before Launch returns,
	// or from the hot reader of a flooding pipe (OnHotReader): they must
	// not block, as the output of every child waits meanwhile (on a hot
	// reader, only this child's). nil: the stream goes to /dev/null.
	Stdout, Stderr func(pid int, line []byte)
	// MaxLine, when above 0, is the longest line given to the callbacks
	// in place of the package's MaxLine: a longer one comes in pieces of
	// MaxLine bytes. A proxy that passes each line on in writes of at
	// most PIPE_BUF bytes (cfk-proxy, REFERENCE §4.6) asks for pieces
	// that fit one: cut at 16 KiB, then at PIPE_BUF, a long line came
	// in pieces of 4 KiB and a small remainder every 16 KiB.
	MaxLine int
	// StdoutLines and StderrLines, when set, take the place of Stdout and
	// Stderr: the same lines, but a run of them at once (Lines), for a
	// consumer that does per run what it would do per line.
	StdoutLines, StderrLines func(pid int, lines *Lines)
	// StderrPipe, when set, makes the child's fd 2 a pipe whose read end
	// Launch hands back as Process.Stderr, in place of Stderr and
	// StderrLines: the caller reads it itself, and closes it. The pipe is
	// made as the captured ones are, once the launch holds its fork slot
	// and never in the last FdReserve fds (fds.go): a launch waiting for
	// its turn holds no fd of it, and a want of fds is the launch's
	// EMFILE, cfkd's shortage. The child's end is blocking, as a child's
	// stderr should be. A ready=exec: probe keeps the tail of its try's
	// stderr so (REFERENCE §2.9), read only until the try ends, where
	// the poller would keep reading a pipe that a daemon it forked holds.
	StderrPipe bool
	// Tag says whose output the pipes carry ("service:NAME"): Freeze
	// returns it with each pipe, so that an upgrade in place gives the
	// pipe to the same owner (upgrade.go, REFERENCE §13).
	Tag string
	// Owner is a number of the caller's, returned with the pipes by
	// Freeze as Tag is (FrozenPipe.Owner): which of the owner's runs
	// they are of (actors: the declaration of the service, whose lines
	// a declaration made since does not keep, REFERENCE §6.4). 0: none.
	Owner uint64
}

// Process is a child started by Launch.
type Process struct {
	Pid   int
	group bool // signal -Pid (the child leads its own process group)
	// endGroup: kill what is left of the group at the exit (Spec.EndGroup)
	endGroup bool
	// mu guards exited, and is held by Signal across its kill: the
	// reaper marks the Process exited under it before it frees the pid
	mu       sync.Mutex
	exited   bool
	launched bool // a child of this launcher (else signalled through its handle only)
	// CRLFLine is the `#!` line of the script Launch ran, when it ends
	// with a carriage return (a file saved with CRLF line ends, whose
	// interpreter gets an argument that ends with "\r"), "" otherwise:
	// the caller warns of it (crlfLine, REFERENCE §2.1)
	CRLFLine string
	// Stderr is the read end of the child's stderr pipe (Spec.StderrPipe;
	// nil without), non-blocking and in the runtime's poller (os.NewFile),
	// so that a read of it takes a deadline: the caller's to read and to
	// close
	Stderr     *os.File
	procHandle // a process that is not ours: the handle Handle took (pidfd.go)
}

// Launcher starts children and reaps them. See the package doc.
type Launcher struct {
	log     logrus.FieldLogger
	devnull *os.File
	sigs    chan os.Signal
	done    chan struct{}
	stopped chan struct{}
	ownPgrp int
	out     *poller // reads the output pipes of the children
	paths   pathCache

	// forks bounds the forks under way at once (maxForks); see forkSlots.
	forks *forkSlots

	// mu guards procs, inflight, forkSeq and early, never across a
	// syscall where the system can peek at an exited child (canPeek): the
	// reaper finds an exited pid without reaping it, takes its entry out
	// under mu, marks its Process exited under the Process's own mutex
	// (which Signal holds across its kill), and only then reaps it. A kill
	// can be slow (the woken process may take the signaller's core): a
	// signaller that held mu would make every reap wait for it. Elsewhere
	// Signal holds mu for reading and the reaper reaps under it.
	mu       sync.RWMutex
	procs    map[int]*entry
	inflight int               // forks under way, not yet registered
	late     int               // of those, the ones whose reply is late (latefork.go)
	forkSeq  uint64            // forks begun so far
	early    map[int]earlyExit // reaped while inflight > 0, not registered
	earlyN   uint64            // numbers the exits kept in early, in order (earlyexits.go)
	handles                    // what the process handles need (pidfd.go, nopidfd.go)
	frozen   bool              // no wait4 until Thaw (upgrade.go)
	reaping  sync.Mutex        // held by reapAll: Freeze waits for the exits it is handing out

	// suspectMu guards suspects: the registered children Signal signalled,
	// not reaped yet, which the reaper asks first (suspects.go)
	suspectMu  sync.Mutex
	suspects   map[int]suspectOf
	suspectBuf []suspectOf // the reaper's copy of suspects
	// lastPrune is when the reaper last forgot the stale suspects of a
	// mass signal (reaper goroutine only)
	lastPrune time.Time
	lastSweep time.Time // when reapAll last began (reaper goroutine)
	// how long the last sweep took (reaper goroutine): the gap to the
	// next is sweepCostFactor times that, sweepGap at most (sweepDelay)
	lastSweepCost time.Duration

	server *forkServer // forks with a small fd table (spawn_linux.go); nil: cfkd forks itself
}

// earlyExit is an exit the reaper took for a pid it did not know while
// forks were under way: maybe the child of one of them, which died before
// register, or an adopted orphan.
type earlyExit struct {
	ws syscall.WaitStatus
	// seq is forkSeq when it was reaped: only a fork begun by then can
	// have made this pid (a later one got a reused pid)
	seq uint64
	// n is its order among the exits kept: the oldest are dropped first
	// while only late forks are under way (boundEarly)
	n uint64
}

type entry struct {
	proc   *Process
	onExit func(pid int, ws syscall.WaitStatus)
}

var open atomic.Bool

// errNoSubreaper is becomeSubreaper's error where the system has none.
var errNoSubreaper = errors.New("this system has no child subreaper")

// New makes the calling process a child subreaper (where the system has
// one: REFERENCE §11), starts the reaper and the output poller and returns
// a Launcher. Close it to stop them.
func New(log logrus.FieldLogger) (*Launcher, error) {
	return newLauncher(log, false)
}

func newLauncher(log logrus.FieldLogger, frozen bool) (*Launcher, error) {
	if !open.CompareAndSwap(false, true) {
		return nil, errors.New("osproc: a Launcher is already open in this process")
	}
	reserveThreads(cfkdThreads()) // before any service runs (threads.go)
	if err := becomeSubreaper(); errors.Is(err, errNoSubreaper) {
		log.Info("no child subreaper on this system: orphaned grandchildren of services are not adopted by cfkd (their process group is still stopped with them)")
	} else if err != nil {
		log.WithError(err).Warn("cannot become a child subreaper: orphaned grandchildren will not be reaped by cfkd")
	}
	// fds inherited from cfkd's parent are not close-on-exec (Go only sets
	// it on the fds it opens): mark them so that no child inherits them.
	if err := cloexecFrom(3); err != nil {
		open.Store(false)
		return nil, fmt.Errorf("osproc: set close-on-exec on inherited fds: %w", err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		open.Store(false)
		return nil, fmt.Errorf("osproc: open %s: %w", os.DevNull, err)
	}
	out, err := newPoller(log)
	if err != nil {
		devnull.Close()
		open.Store(false)
		return nil, fmt.Errorf("osproc: output poller: %w", err)
	}
	l := &Launcher{
		log:      log,
		devnull:  devnull,
		sigs:     make(chan os.Signal, 1),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
		ownPgrp:  syscall.Getpgrp(),
		out:      out,
		procs:    make(map[int]*entry),
		early:    make(map[int]earlyExit),
		suspects: make(map[int]suspectOf),
		forks:    newForkSlots(maxForks),
		frozen:   frozen,
	}
	signal.Notify(l.sigs, syscall.SIGCHLD)
	if s, err := startForkServer(log, maxForks); err != nil {
		log.WithError(err).Warn("no fork server: cfkd forks its services itself")
	} else if s != nil {
		l.server = s
		// launched: never taken for an orphan; its end is the reaper's
		l.procs[s.pid] = &entry{proc: &Process{Pid: s.pid, launched: true}, onExit: func(_ int, ws syscall.WaitStatus) { s.exited(ws) }}
	}
	go l.reapLoop()
	return l, nil
}

// Close stops the reaper and the output poller: what each output pipe
// still open holds is emitted (up to 4 MiB a pipe), its last partial line
// too, and the pipe closed (a child that writes on it then gets EPIPE).
// Children still running are not touched.
func (l *Launcher) Close() error {
	signal.Stop(l.sigs)
	close(l.done)
	<-l.stopped
	l.server.stop()
	l.out.stop()
	open.Store(false)
	return l.devnull.Close()
}

// Launch starts a process as spec says. onExit is called once, with the
// pid and raw wait status when the process is reaped: from the reaper
// goroutine, or from Launch itself before it returns when the child died
// before it was registered. It must not block. The captured output streams go to the output poller
// (see Spec.Stdout), which may still emit lines after onExit. On error
// nothing was started and onExit is never called; an error for want of
// fds or processes wraps the errno (EMFILE, ENFILE, EAGAIN, ENOMEM), so
// that errors.Is tells cfkd's shortage from the service's failure; a
// child that failed after its fork (its set-up or execve) is an
// *ExecError, the service's whatever its errno; a fork through the fork
// server whose exec did not answer in time is an *nss.TimeoutError, and
// its child, if one is made later, is the Launcher's to kill and reap
// (latefork.go). Once StopLaunching was called, a launch that has not
// taken its fork slot returns ErrCancelled, at once.
//
// The output pipes are created once a fork slot is held, and the child's
// ends closed right after the fork: a start waiting for its turn holds no
// fd (see fds.go). A fork that runs short of fds while other forks are
// under way waits for one of them to end and tries again.
func (l *Launcher) Launch(spec Spec, onExit func(pid int, ws syscall.WaitStatus)) (*Process, error) {
	// first: a launch queued behind a mass start looks nothing up
	if l.forks.stopping() {
		return nil, ErrCancelled
	}
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return nil, errors.New("empty command")
	}
	// the working directory the child enters, and the program it execs,
	// on a hung mount: bounded here (pathbound.go), before the fork,
	// whose child would hang in its chdir or execve, and this launch
	// with it, holding a fork slot
	if err := reachDir(spec.Dir); err != nil {
		return nil, err
	}
	path, crlf, cached, err := l.locate(spec)
	if err != nil {
		return nil, err
	}
	stdin := l.devnull
	if spec.Stdin != nil {
		stdin = spec.Stdin
	}
	attr := &syscall.ProcAttr{
		Dir: spec.Dir,
		Env: spec.Env,
		Sys: &syscall.SysProcAttr{Setsid: spec.Setsid, Credential: spec.Credential},
	}

	// Forks run concurrently (the kernel runs the children's execs on
	// every core), outside mu: the reaper keeps the exit of a pid it
	// cannot find while a fork is under way (early), and register
	// delivers it.
	if !l.forks.take() {
		return nil, ErrCancelled // nothing opened yet: nothing to close
	}
	var f forked
	for {
		f, err = l.fork(path, crlf, cached, spec, stdin, attr, onExit)
		l.logOrphans(f.orphans)
		if err == nil || !fdShortage(err) || !l.forks.waitForOthers() {
			break
		}
	}
	l.forks.give()
	if err != nil {
		return nil, err
	}
	f.proc.CRLFLine = f.crlf
	if f.outR >= 0 {
		out := outputFor(spec.Stdout, spec.StdoutLines, f.proc.Pid)
		out.max = spec.MaxLine
		l.addOutput(f.outR, out, pipeMeta{pid: f.proc.Pid, stream: "stdout", tag: spec.Tag, owner: spec.Owner})
	}
	if f.errR >= 0 && spec.StderrPipe {
		f.proc.Stderr = os.NewFile(uintptr(f.errR), "|stderr")
	} else if f.errR >= 0 {
		out := outputFor(spec.Stderr, spec.StderrLines, f.proc.Pid)
		out.max = spec.MaxLine
		l.addOutput(f.errR, out, pipeMeta{pid: f.proc.Pid, stream: "stderr", tag: spec.Tag, owner: spec.Owner})
	}
	if f.early != nil {
		onExit(f.proc.Pid, *f.early)
	}
	return f.proc, nil
}

// StopLaunching is told that cfkd's shutdown has begun (REFERENCE §7.4):
// from then on a Launch that has not taken its fork slot, waiting for one
// or yet to come, returns ErrCancelled without forking; those holding a
// slot go on, and their processes are stopped by the shutdown. It does
// not wait. An upgrade in place does not call it: its cfkd may roll back,
// and launch again.
func (l *Launcher) StopLaunching() {
	l.forks.stop()
}

// CheckProgram tells whether Launch would find spec's working directory
// and program (and its shim's, Program), looked up as Launch does, but
// afresh (the cache's answer may be pathTTL old: a program removed since
// would pass), without launching anything: a restart asks it before it
// stops the process that runs (REFERENCE §2.7). It stats the PATH's
// directories: not for an actor's Receive.
func (l *Launcher) CheckProgram(spec Spec) error {
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return errors.New("empty command")
	}
	// the working directory first, as the child enters it before its
	// execve: missing, not a directory, or one its user cannot enter
	// (once it answered: a hung mount holds no check, pathbound.go)
	if err := reachDir(spec.Dir); err != nil {
		return err
	}
	if err := dirError(spec.Dir, spec.Credential, syscall.EACCES); err != nil {
		return err
	}
	_, _, _, err := l.program(spec, false)
	return err
}

// program looks up spec's program (Program under a shim, else Argv[0])
// and, under a shim, the shim's (Argv[0]) in the PATH of its
// environment, from its working directory, through the cache if
// cachedOK: the path to execute (Argv[0]'s), whether it came from the
// cache, and the `#!` line of the program run when it ends with "\r"
// (the look-up's, or crlfLine's when the cache answered and nothing was
// read): the script's, which the shim execs, not the shell's.
func (l *Launcher) program(spec Spec, cachedOK bool) (path, crlf string, cached bool, err error) {
	if spec.Program != "" {
		ppath, pcrlf, pcached, err := l.paths.lookupAs(spec.Program, spec.Env, spec.Dir, spec.Credential, cachedOK)
		if err != nil {
			return "", "", false, err
		}
		if pcached {
			pcrlf = crlfLine(ppath, spec.Dir)
		}
		path, _, cached, err = l.paths.lookupAs(spec.Argv[0], spec.Env, spec.Dir, spec.Credential, cachedOK)
		return path, pcrlf, cached, err
	}
	path, crlf, cached, err = l.paths.lookupAs(spec.Argv[0], spec.Env, spec.Dir, spec.Credential, cachedOK)
	if err == nil && cached {
		crlf = crlfLine(path, spec.Dir)
	}
	return path, crlf, cached, err
}

// locate is Launch's program, through the cache, and the `#!` line of
// the script run when it ends with "\r", for the caller to warn of
// (Process.CRLFLine): read once a launch (program).
func (l *Launcher) locate(spec Spec) (path, crlf string, cached bool, err error) {
	return l.program(spec, true)
}

// forked is the outcome of one fork: the process, the read ends of its
// output pipes (-1: not captured), its exit when the reaper took it
// already, and the exits of adopted orphans register found.
type forked struct {
	proc       *Process
	outR, errR int
	early      *syscall.WaitStatus
	orphans    map[int]earlyExit
	// crlf is the `#!` line of the file execed, when it ends with "\r"
	// (Process.CRLFLine): locate's, or the look-up's when the cached
	// path was gone and fork looked again
	crlf string
}

// fork is one try at starting spec's process, in a fork slot: the pipes,
// the fork, the child's ends closed, the pid registered. On error every fd
// it opened is closed (f.orphans may still hold exits to log).
func (l *Launcher) fork(path, crlf string, cached bool, spec Spec, stdin *os.File, attr *syscall.ProcAttr, onExit func(int, syscall.WaitStatus)) (f forked, err error) {
	c, err := l.openChildFds(spec, stdin)
	if err != nil {
		return f, err
	}
	attr.Files = c.files
	l.mu.Lock()
	l.inflight++
	l.forkSeq++
	seq := l.forkSeq
	l.mu.Unlock()
	// a fork whose reply is late ends when the reply comes (latefork.go);
	// it keeps what it needs of spec, not spec (its environment, its argv)
	group, tag := spec.Setsid, spec.Tag
	lt := &lateness{}
	onLate := func(pid int, err error) { l.lateForked(seq, lt, pid, err, group, tag) }
	pid, err := l.forkExec(path, spec.Argv, attr, onLate)
	f.crlf = crlf
	var lookErr error
	if err != nil && cached && stale(err) {
		// the program moved since it was found: look again, once; the
		// file found is another, and its `#!` line (or why it cannot
		// run: an interpreter "/bin/sh\r") is the look-up's, not the
		// gone one's (REFERENCE §2.1)
		l.paths.forget(spec.Argv[0], spec.Env, spec.Dir, spec.Credential)
		var again string
		if path, again, _, lookErr = l.paths.lookupAs(spec.Argv[0], spec.Env, spec.Dir, spec.Credential, false); lookErr == nil {
			pid, err = l.forkExec(path, spec.Argv, attr, onLate)
		}
		if spec.Program == "" { // a shim's is the script's, program's
			f.crlf = again
		}
	}
	// the files' numbers were taken with Fd(): they must not be closed by
	// a finalizer before the fork is done
	runtime.KeepAlive(stdin)
	runtime.KeepAlive(spec.ExtraFiles)
	c.closeChild() // the child has its copies (or there is no child)
	if late := (*lateFork)(nil); errors.As(err, &late) {
		// still under way (the helper has the child's fds): registered,
		// or not, by lateForked; this launch gives up
		c.closeAll()
		l.wentLate(lt)
		return f, late.TimeoutError
	}
	if err == nil {
		beforeRegister(pid)
	}
	f.proc, f.early, f.orphans = l.register(seq, pid, err, spec.Setsid, spec.Setsid && spec.EndGroup, onExit)
	if err != nil {
		c.closeAll()
		if hung := (*nss.TimeoutError)(nil); errors.As(err, &hung) {
			return f, hung // no connection to the fork server in time: nothing was asked
		}
		if lookErr != nil {
			return f, lookErr // what a launch that looked afresh says
		}
		if derr := dirError(spec.Dir, spec.Credential, err); derr != nil {
			return f, derr
		}
		return f, fmt.Errorf("exec %s: %w", spec.Argv[0], err)
	}
	f.outR, f.errR = c.outR, c.errR
	return f, nil
}

// ForkServerPid is the pid of the fork server (REFERENCE §7.6), a child
// of the Launcher's for as long as it is open; 0 when there is none.
func (l *Launcher) ForkServerPid() int {
	if l.server == nil {
		return 0
	}
	return l.server.pid
}

// SetForkTimeout sets how long a launch waits for the fork server, for a
// free connection and then for its reply, before it is given up as
// cfkd's trouble (REFERENCE §2.1: an exec that does not answer): 5 s
// (PathTimeout) until set, and again once set to 0. cfkd never sets it:
// tests shorten it. A launch under way keeps the bound it began with.
func (l *Launcher) SetForkTimeout(d time.Duration) {
	l.server.setTimeout(d)
}

// forkExec forks and execs through the fork server when there is one
// (spawn_linux.go), else in cfkd.
func (l *Launcher) forkExec(path string, argv []string, attr *syscall.ProcAttr, onLate func(pid int, err error)) (int, error) {
	if pid, err, ok := l.server.forkExec(path, argv, attr, onLate); ok {
		return pid, err
	}
	return forkExecSelf(path, argv, attr)
}

// beforeRegister is called between a fork and its registration (a test makes
// the child exit, and be reaped, first).
var beforeRegister = func(pid int) {}

// maxForks is the number of forks under way at once: two per core keeps
// every core exec'ing a child while the parent threads wait in vfork.
var maxForks = 2 * runtime.NumCPU()

// register ends fork number seq: it registers the new pid, or returns the
// exit status the reaper already took for it (the child died first). When
// the last fork under way ends, the exits still kept were not of a fork
// of ours: they are adopted orphans, returned to be logged.
func (l *Launcher) register(seq uint64, pid int, err error, group, endGroup bool, onExit func(int, syscall.WaitStatus)) (proc *Process, early *syscall.WaitStatus, orphans map[int]earlyExit) {
	return l.registerFork(seq, nil, pid, err, group, endGroup, onExit)
}

// registerFork is register of a fork that may have gone late (lt: nil
// for one that cannot).
func (l *Launcher) registerFork(seq uint64, lt *lateness, pid int, err error, group, endGroup bool, onExit func(int, syscall.WaitStatus)) (proc *Process, early *syscall.WaitStatus, orphans map[int]earlyExit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	l.endedFork(lt)
	if err == nil {
		proc = &Process{Pid: pid, group: group, endGroup: endGroup, launched: true}
		if e, ok := l.early[pid]; ok && e.seq >= seq {
			delete(l.early, pid)
			proc.exited = true
			early = &e.ws
			if endGroup {
				// the child exited (and was reaped) before this: its group,
				// which the reaper ends at the usual exit, is ended here. A
				// pid stays taken while a group of its number has members,
				// so -pid is still that group, or none (ESRCH).
				if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
					l.log.WithError(err).WithField("pid", pid).Warn("ending the process group of an exited child failed")
				}
			}
		} else {
			if ok { // an orphan's exit, its pid since reused by this fork
				delete(l.early, pid)
				orphans = map[int]earlyExit{pid: e}
			}
			l.procs[pid] = &entry{proc: proc, onExit: onExit}
		}
	}
	if l.inflight == 0 && len(l.early) > 0 {
		if orphans == nil {
			orphans = l.early
		} else {
			maps.Copy(orphans, l.early)
		}
		l.early = make(map[int]earlyExit)
	}
	return proc, early, orphans
}

func (l *Launcher) logOrphans(orphans map[int]earlyExit) {
	for pid, e := range orphans {
		l.log.WithFields(logrus.Fields{"pid": pid, "status": int(e.ws)}).Debug("reaped an adopted orphan")
	}
}

// Signal sends sig to the process group of p when p leads one, else to p
// alone. It never signals cfkd's own process group, and returns ErrDone
// once p was reaped.
func (l *Launcher) Signal(p *Process, sig syscall.Signal) error {
	if handled, err := p.signalHandle(sig); handled {
		return err
	}
	if !p.launched {
		return fmt.Errorf("process %d: not a child of cfkd and no handle on it: not signalled", p.Pid)
	}
	if !canPeek {
		l.mu.RLock()
		defer l.mu.RUnlock()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return ErrDone
	}
	// its exit is looked for first (suspects.go), from before the kill:
	// the SIGCHLD of an exit it causes finds it
	l.suspect(p, sig)
	target := p.Pid
	if p.group && p.Pid != l.ownPgrp {
		target = -p.Pid
	}
	if err := syscall.Kill(target, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) && target < 0 {
			// the leader is a zombie not yet reaped and its group is gone,
			// or it leads no group (a process adopted with a wrong
			// group): the process itself, whose pid is not free (not
			// reaped, mu held), gets the signal
			if err := syscall.Kill(p.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
				l.unsuspect(p)
				return fmt.Errorf("kill %d: %w", p.Pid, err)
			}
			return nil
		}
		l.unsuspect(p)
		return fmt.Errorf("kill %d: %w", target, err)
	}
	return nil
}

// markExited says p's pid is about to be reaped: Signal no longer uses it.
func (p *Process) markExited() {
	p.mu.Lock()
	p.exited = true
	p.mu.Unlock()
}

// reapLoop reaps at each SIGCHLD: the suspects at once, then the sweep,
// put off while the last one is more recent than sweepGap (suspects.go).
func (l *Launcher) reapLoop() {
	defer close(l.stopped)
	var sweep <-chan time.Time // a sweep put off; nil: none
	for {
		select {
		case <-l.done:
			return
		case <-l.sigs:
			l.reapSuspects()
			if sweep != nil {
				continue // the sweep armed comes after this SIGCHLD
			}
			if d := l.sweepDelay(); d > 0 {
				putOff(d)
				sweep = time.After(d)
				continue
			}
			l.reapAll()
		case <-sweep:
			sweep = nil
			l.reapAll()
		}
	}
}

// reapAll reaps every child that has exited. A child Launch registered is
// taken out under mu and marked exited before its pid is freed (see mu);
// any other (a child of a fork under way, an orphan) is reaped under mu,
// so that Launch registration is atomic with respect to it.
func (l *Launcher) reapAll() {
	l.reaping.Lock()
	defer l.reaping.Unlock()
	if canPeek {
		l.lastSweep = time.Now()
		defer func() { l.lastSweepCost = time.Since(l.lastSweep) }()
	}
	for {
		want := -1 // wait4's pid: any child, or the one peekZombie found
		if canPeek {
			if want = peekZombie(); want <= 0 {
				return
			}
		}
		var ws syscall.WaitStatus
		l.mu.Lock()
		if l.frozen { // an upgrade in place: the next cfkd reaps (upgrade.go)
			l.mu.Unlock()
			return
		}
		if e := l.procs[want]; canPeek && e != nil {
			// the usual exit: reaped outside mu, its pid its own until then
			delete(l.procs, want)
			l.mu.Unlock()
			l.reapRegistered(want, e)
			continue
		}
		pid, err := syscall.Wait4(want, &ws, syscall.WNOHANG, nil)
		var e *entry
		var dropped map[int]earlyExit
		kept := false
		if pid > 0 {
			if e = l.procs[pid]; e != nil {
				e.proc.markExited()
				delete(l.procs, pid)
			} else if l.reapedTarget(pid) {
				// an orphan being terminated (nopidfd.go): logged below
			} else if l.inflight > 0 {
				// maybe the child of a fork under way: register decides
				dropped = l.keepEarly(pid, ws)
				kept = true
			}
		}
		l.mu.Unlock()
		l.logDropped(dropped)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		if kept {
			continue
		}
		if e == nil {
			l.log.WithFields(logrus.Fields{"pid": pid, "status": int(ws)}).Debug("reaped an adopted orphan")
			continue
		}
		e.onExit(pid, ws)
	}
}

// addOutput hands the read end r of the output pipe of child pid to the
// output poller. On failure (the Launcher is closed, or epoll refuses one
// more fd: ENOMEM, ENOSPC beyond fs.epoll.max_user_watches) r is closed
// and logged: the child's writes to it fail with EPIPE.
func (l *Launcher) addOutput(r int, out output, meta pipeMeta) {
	if err := l.out.addWith(r, out, meta, nil); err != nil {
		l.log.WithError(err).WithFields(logrus.Fields{"pid": meta.pid, "stream": meta.stream}).Error("the output of the process is not read")
	}
}

// outputPipe returns a pipe for the output of a child, or -1, -1 when not
// wanted (the child then gets /dev/null). Both ends are close-on-exec (the
// child gets a dup of w); the read end, for the output poller, is
// non-blocking; the child's write end stays blocking, as programs expect of
// stdout.
func outputPipe(want bool) (r, w int, err error) {
	if !want {
		return -1, -1, nil
	}
	r, w, err = pipeCloexec()
	if err != nil {
		return -1, -1, fmt.Errorf("pipe: %w", err)
	}
	if err := syscall.SetNonblock(r, true); err != nil {
		closeFds(r, w)
		return -1, -1, fmt.Errorf("pipe: %w", err)
	}
	return r, w, nil
}

// fdOr returns fd, or def when fd is -1.
func fdOr(fd int, def uintptr) uintptr {
	if fd < 0 {
		return def
	}
	return uintptr(fd)
}

// closeFds closes the fds that are not -1.
func closeFds(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
}

// bindPid binds emit to a pid. It takes the callback alone, not the Spec,
// so that a long-lived output registration does not keep the spec's
// environment and argv alive.
func bindPid(emit func(pid int, line []byte), pid int) func([]byte) {
	return func(line []byte) { emit(pid, line) }
}
