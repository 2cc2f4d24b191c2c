package proxyproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
	"golang.org/x/sys/unix"
)

// Launcher is what the proxy needs of osproc.Launcher.
type Launcher interface {
	Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error)
	Signal(p *osproc.Process, sig syscall.Signal) error
}

var _ Launcher = (*osproc.Launcher)(nil)

// orphanEnder is what the proxy needs of osproc.Launcher to end what a
// child it stopped left behind (orphans.go); a Launcher without it ends
// nothing.
type orphanEnder interface {
	AdoptedOrphans() []osproc.Orphan
	TargetOrphans(orphans []osproc.Orphan) []*osproc.Target
}

var _ orphanEnder = (*osproc.Launcher)(nil)

// DefaultGrace is how long a shutting-down proxy waits after SIGTERM before
// it SIGKILLs the process groups still alive.
const DefaultGrace = 2 * time.Second

// Config is what a proxy runs with.
type Config struct {
	Launcher Launcher
	Commands io.Reader // cfkd's commands; EOF means cfkd went away
	Status   io.Writer // status lines to cfkd
	Log      io.Writer // log lines to cfkd
	// Sockets maps a socket name to its fd (from _CFK_SOCK_<name>).
	Sockets map[string]*os.File
	// Env is the base environment of every service (see ChildEnv).
	Env []string
	// Signals delivers SIGTERM, SIGINT and SIGHUP: each starts a shutdown.
	Signals <-chan os.Signal
	Grace   time.Duration // 0: DefaultGrace
	Self    string        // the proxy's name in its "started" message
	// Warnings are logged (err:-:...) when Run starts, e.g. the sockets
	// PipesFromEnv skipped.
	Warnings []string
}

// alwaysReady is a closed channel: a select case on it is always ready.
var alwaysReady = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Proxy runs services for cfkd. See the package doc.
type Proxy struct {
	cfg    Config
	status *statusWriter
	log    *logWriter

	// exits queued by the reaper goroutine for the loop; never blocks it
	exitMu sync.Mutex
	exits  []exit
	wake   chan struct{}

	// owned by the loop
	children map[int]*child // live children by pid
	byName   map[string]int // the latest pid started for each name
	// the latest child of a name that exited unstopped, since the
	// name's last start line (a stop line ends what it left: stopExited)
	exited map[string]exitedChild

	ending sync.WaitGroup // terminations of orphans under way (orphans.go)
	// deadline: the end of the shutdown's grace, once it began (the
	// orphans ended then get what is left of it: orphans.go)
	deadline time.Time
}

type exit struct {
	pid int
	ws  syscall.WaitStatus
}

// exitedChild is a child that exited, the proxy not having stopped it.
type exitedChild struct {
	*child
	pid int
}

type child struct {
	name    string
	proc    *osproc.Process
	group   bool // it leads a process group of its own (a session)
	stopped bool // the proxy signalled it to stop (stop, or its shutdown)
}

// New returns a proxy; Run runs it, Close flushes its log.
func New(cfg Config) *Proxy {
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	return &Proxy{
		cfg:      cfg,
		status:   &statusWriter{w: cfg.Status},
		log:      newLogWriter(cfg.Log),
		wake:     make(chan struct{}, 1),
		children: make(map[int]*child),
		byName:   make(map[string]int),
		exited:   make(map[string]exitedChild),
	}
}

// Run reads commands until cfkd closes the command pipe or a signal
// arrives, then stops every child (SIGTERM to its group, SIGKILL after the
// grace period) and returns once each one's exit was reported. A read
// error on the command pipe is logged and taken as EOF.
func (p *Proxy) Run() error {
	p.logf("out", "%s proxy started", p.cfg.Self)
	for _, w := range p.cfg.Warnings {
		p.logf("err", "%s", w)
	}
	q := newCmdQueue()
	quit := make(chan struct{})
	defer close(quit)
	go readLines(p.cfg.Commands, q, quit, func(n int) {
		p.logf("err", "command line longer than %d bytes dropped", n)
	})

	var (
		shutdown bool
		killC    <-chan time.Time
	)
	stopAll := func(why string) {
		if shutdown {
			return
		}
		shutdown = true
		p.logf("out", "shutting down: %s", why)
		p.deadline = time.Now().Add(p.cfg.Grace)
		for _, c := range p.children {
			c.stopped = true
		}
		p.signalAll(syscall.SIGTERM)
		killC = time.After(p.cfg.Grace)
	}
	for !shutdown || len(p.children) > 0 {
		var cmdC <-chan struct{} // nil once shutting down: handle no more
		if !shutdown {
			cmdC = q.wake
			if q.ready() {
				cmdC = alwaysReady
			}
		}
		select {
		case <-cmdC:
			e, ended, err := q.next()
			if e != nil {
				p.handle(e)
			} else if ended {
				if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
					p.logf("err", "reading commands: %v", err)
				}
				stopAll("command pipe closed")
			}
		case sig := <-p.cfg.Signals:
			p.logf("err", "Got signal %s", signalName(sig))
			stopAll("signal")
		case <-p.wake:
			p.drainExits()
		case <-killC:
			killC = nil
			if len(p.children) > 0 {
				p.logf("err", "%d service(s) still alive after %v: SIGKILL", len(p.children), p.cfg.Grace)
				p.signalAll(syscall.SIGKILL)
			}
		}
	}
	p.ending.Wait() // the orphans it is ending: at most Grace, and at a shutdown what is left of it (orphans.go)
	return nil
}

// Close flushes the log lines still queued (waiting at most timeout) and
// stops the log writer. Call it after Run returned and the Launcher was
// closed, so that the last output lines of the children are in the queue.
func (p *Proxy) Close(timeout time.Duration) {
	p.log.close(timeout)
}

// handle runs one command line (parsed by the reader: cmdQueue.push).
func (p *Proxy) handle(e *queued) {
	if errors.Is(e.err, proxywire.ErrUnknownCommand) {
		p.logf("err", "couldn't understand command %s: %v", e.line, e.err)
		return
	}
	if e.err != nil {
		p.logf("err", "parse error in command %s: %v", e.line, e.err)
		return
	}
	switch e.cmd.Command {
	case proxywire.CommandStart:
		p.start(e.cmd)
	case proxywire.CommandStop:
		p.stop(e.cmd.Name)
	}
}

// start launches a service and reports it started. A command that cannot
// be launched (not found, not executable, empty) is replaced by a stand-in
// `/bin/sh -c` that prints why on the service's stderr and exits 127, as
// the original proxy's child exited when it could not run the command: cfkd
// sees a started pid, then its failed exit, as for any failing command.
func (p *Proxy) start(c proxywire.Command) {
	name := c.Name
	if pid, ok := p.byName[name]; ok {
		if p.children[pid].stopped {
			// a stop line came for it: cfkd took the service as
			// stopped (it may have killed that process itself, a
			// `started` after the stop: REFERENCE §4.5) and starts it
			// again before the proxy reaped the former one
			p.logf("out", "'%s': starting again while its former process (pid %d) ends", name, pid)
		} else {
			p.logf("err", "'%s' is already running (pid %d): starting another one", name, pid)
		}
	}
	p.logf("out", "starting %s", name)
	delete(p.exited, name) // a stop line from now on is this start's
	spec := osproc.Spec{
		Env:    ChildEnv(p.cfg.Env, c.Env, name),
		Setsid: !c.NoNewSession,
		// a long line in pieces that are each one log line of PipeBuf
		// bytes (REFERENCE §6.4), not in osproc's 16 KiB pieces cut
		// again to fit, with a remainder every 16 KiB
		MaxLine: min(proxywire.LogRoom(proxywire.StreamOut, name), proxywire.LogRoom(proxywire.StreamErr, name)),
	}
	if c.TieStdinTo != "" {
		sock, ok := p.cfg.Sockets[c.TieStdinTo]
		if !ok {
			p.logf("err", "'%s' not found in proxy", c.TieStdinTo)
		} else {
			spec.Stdin = sock
		}
	}
	if !c.IgnoreStdout {
		spec.Stdout = func(_ int, line []byte) { p.log.line("out", name, line) }
	}
	if !c.IgnoreStderr {
		spec.Stderr = func(_ int, line []byte) { p.log.line("err", name, line) }
	}
	argv, err := osproc.Argv(c.Cmd, c.Argv)
	var proc *osproc.Process
	if err == nil {
		spec.Argv = argv
		proc, err = p.cfg.Launcher.Launch(spec, p.onExit)
	}
	if err != nil {
		p.logf("err", "cannot start %s: %v", name, err)
		spec.Argv = []string{"/bin/sh", "-c", `printf '%s\n' "$1" >&2; exit 127`, "sh", "cfk-proxy: " + err.Error()}
		if proc, err = p.cfg.Launcher.Launch(spec, p.onExit); err != nil {
			// not even sh: nothing cfkd could be given a pid of
			p.logf("err", "cannot start %s: %v", name, err)
			p.status.write(proxywire.Status{Status: proxywire.StatusStopped, Name: name, Pid: 0, ExitStatus: 127 << 8})
			return
		}
	}
	// The exit of proc, however early, is queued and handled by this
	// goroutine after this point: started always comes before stopped.
	p.children[proc.Pid] = &child{name: name, proc: proc, group: spec.Setsid}
	p.byName[name] = proc.Pid
	p.status.write(proxywire.Status{Status: proxywire.StatusStarted, Name: name, Pid: proc.Pid})
}

// stop SIGTERMs the process group of the latest child of name.
func (p *Proxy) stop(name string) {
	pid, ok := p.byName[name]
	if !ok {
		if e, ok := p.exited[name]; ok {
			p.stopExited(e)
			return
		}
		p.logf("err", "Oops, I don't know about '%s'", name)
		return
	}
	p.logf("out", "stopping %s", name)
	c := p.children[pid]
	c.stopped = true
	if err := p.cfg.Launcher.Signal(c.proc, syscall.SIGTERM); err != nil && !errors.Is(err, osproc.ErrDone) {
		p.logf("err", "stopping %s: %v", name, err)
		return
	}
	p.cont(c)
}

// cont sends SIGCONT after a SIGTERM, as cfkd does after a direct
// service's stop signal (REFERENCE §2.2): a stopped process (SIGSTOP, a
// job-control stop) holds the SIGTERM pending, and would only die of the
// SIGKILL after the grace.
func (p *Proxy) cont(c *child) {
	if err := p.cfg.Launcher.Signal(c.proc, syscall.SIGCONT); err != nil && !errors.Is(err, osproc.ErrDone) {
		p.logf("err", "continuing %s: %v", c.name, err)
	}
}

func (p *Proxy) signalAll(sig syscall.Signal) {
	pids := make([]int, 0, len(p.children))
	for pid := range p.children {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		c := p.children[pid]
		if err := p.cfg.Launcher.Signal(c.proc, sig); err != nil && !errors.Is(err, osproc.ErrDone) {
			p.logf("err", "signalling %s (pid %d): %v", c.name, pid, err)
		} else if sig == syscall.SIGTERM {
			p.cont(c)
		}
	}
}

// onExit is called by the reaper goroutine: it queues and never blocks.
func (p *Proxy) onExit(pid int, ws syscall.WaitStatus) {
	p.exitMu.Lock()
	p.exits = append(p.exits, exit{pid, ws})
	p.exitMu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Proxy) drainExits() {
	p.exitMu.Lock()
	exits := p.exits
	p.exits = nil
	p.exitMu.Unlock()
	// the orphans are listed once for the whole batch, before any of its
	// `stopped` is written: a scan reads the list of every child of the
	// proxy, and one a stopped child's exit made a mass stop of N
	// services cost O(N²), its exits delaying the next stop lines
	var adopted []osproc.Orphan
	scanned := false
	for _, e := range exits {
		c, ok := p.children[e.pid]
		if !ok { // cannot happen: Launch registered it before the exit queued
			p.logf("err", "exit of unknown pid %d (status %d)", e.pid, int(e.ws))
			continue
		}
		delete(p.children, e.pid)
		if p.byName[c.name] == e.pid {
			delete(p.byName, c.name)
			if !c.stopped {
				p.exited[c.name] = exitedChild{c, e.pid}
			}
		}
		if c.stopped {
			if !scanned {
				adopted, scanned = p.adoptedOrphans(), true
			}
			p.endOrphans(adopted, c, e.pid, true)
		}
		p.status.write(proxywire.Status{Status: proxywire.StatusStopped, Name: c.name, Pid: e.pid, ExitStatus: int(e.ws)})
	}
}

func (p *Proxy) logf(typ, format string, args ...any) {
	p.log.line(typ, proxywire.SelfName, []byte(fmt.Sprintf(format, args...)))
}

func signalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if n := unix.SignalName(s); n != "" {
			return strings.TrimPrefix(n, "SIG")
		}
		return strconv.Itoa(int(s))
	}
	return sig.String()
}
