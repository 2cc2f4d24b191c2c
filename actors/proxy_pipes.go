package actors

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
)

// This file holds the goroutines around one run of a proxy process
// (REFERENCE §4): a writer for the command pipe and two readers, for the
// status and log pipes. They own their ends of the pipes and only turn what
// they read (or fail to write) into messages to the proxy actor; every
// message carries the run, so the proxy actor drops what a former run says.
// The lines are proxywire's: startCommand is cfkd's side of it.

// cmdQueueSize bounds the command lines waiting for the writer; more wait
// in the proxy actor's backlog (proxy_backlog.go).
const cmdQueueSize = 256

// cmdLine is one command line for the writer. One not written yet can be
// taken back (a start stopped before the proxy was sent it, REFERENCE
// §4.5): the writer claims a line before it writes it and skips one
// dropped; each side's compare-and-swap says who had it, nobody waits.
type cmdLine struct {
	b     []byte
	state atomic.Int32 // lineQueued, lineClaimed, lineDropped
	// the actor's alone (proxy_backlog.go): the service it is of; stop:
	// a stop line; seq: a start's (proxiedStart.seq), 0 for a line
	// that is none or that the window does not count (an upgrade's);
	// released: in the writer's queue, no longer in the backlog
	name     string
	stop     bool
	seq      uint64
	released bool
}

const (
	lineQueued int32 = iota
	lineClaimed
	lineDropped
)

// claim: the writer takes the line, which is written (false: dropped).
func (l *cmdLine) claim() bool { return l.state.CompareAndSwap(lineQueued, lineClaimed) }

// drop takes the line back: true when the writer never took it.
func (l *cmdLine) drop() bool { return l.state.CompareAndSwap(lineQueued, lineDropped) }

// maxProxyLine bounds one status or log line of a proxy.
const maxProxyLine = 64 * 1024

// maxProxyLogLines bounds the log lines of a proxy read and not yet taken
// by its actor: past it the reader waits, the log pipe fills, and the
// proxy's writes block, as a direct service's do when its destination
// cannot keep up (REFERENCE §6.2): its mailbox never grows without bound.
const maxProxyLogLines = 4096

// maxProxyStatusLines bounds the status lines of a proxy read and not yet
// taken by its actor, alike (statusEmitter).
const maxProxyStatusLines = 1024

// Messages from the pipe goroutines to the proxy actor.
type (
	// proxyLogLine is one `TYPE:SVCNAME:MESSAGE` line of the log pipe;
	// the actor frees its slot (pipeRun.logSlots) once it has taken it.
	proxyLogLine struct {
		run  uint64
		line string
		slot <-chan struct{}
	}
	// proxyBadStatus is a status line that does not parse.
	proxyBadStatus struct {
		run  uint64
		err  error
		slot <-chan struct{}
	}
	// proxyPipeBroken: the command pipe refused a write (the proxy is
	// gone, or closed it).
	proxyPipeBroken struct {
		run uint64
		err error
	}
)

// pipes are cfkd's ends of the three pipes of one run, and the child's
// ends (closed once the process is launched, or failed to).
type pipes struct {
	cmdW, statusR, logR *os.File // cfkd's ends
	cmdR, statusW, logW *os.File // the child's: fds 3, 4, 5
	// statusDone is closed once the status reader has handed on the
	// last line of the pipe (EOF: every writer closed it)
	statusDone chan struct{}
}

// proxyStatusDrain bounds how long the end of a proxy process waits for
// the status lines it wrote before it ended (the exits of the services
// it stopped) to be handed on: a process it left may hold the pipe open.
const proxyStatusDrain = 500 * time.Millisecond

func openPipes() (*pipes, error) {
	p := &pipes{statusDone: make(chan struct{})}
	var err error
	if p.cmdR, p.cmdW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("command pipe: %w", err)
	}
	if p.statusR, p.statusW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("status pipe: %w", err)
	}
	if p.logR, p.logW, err = os.Pipe(); err != nil {
		p.closeAll()
		return nil, fmt.Errorf("log pipe: %w", err)
	}
	return p, nil
}

func (p *pipes) closeChild() {
	for _, f := range []*os.File{p.cmdR, p.statusW, p.logW} {
		if f != nil {
			f.Close()
		}
	}
}

func (p *pipes) closeAll() {
	p.closeChild()
	for _, f := range []*os.File{p.cmdW, p.statusR, p.logR} {
		if f != nil {
			f.Close()
		}
	}
}

// childFiles returns the ExtraFiles of the proxy process (fds 3, 4, 5,
// then one per bound socket, by socket name) and the variables that name
// them (REFERENCE §4.1).
func (p *pipes) childFiles(sockets map[string]*os.File) ([]*os.File, []messages.EnvVar) {
	files := []*os.File{p.cmdR, p.statusW, p.logW}
	vars := []messages.EnvVar{
		{Key: proxywire.EnvCommandFd, Value: "3"},
		{Key: proxywire.EnvStatusFd, Value: "4"},
		{Key: proxywire.EnvLogFd, Value: "5"},
	}
	names := make([]string, 0, len(sockets))
	for n := range sockets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		vars = append(vars, messages.EnvVar{Key: proxywire.EnvSockPrefix + n, Value: strconv.Itoa(3 + len(files))})
		files = append(files, sockets[n])
	}
	return files, vars
}

// startPipeGoroutines starts the writer and the two readers of run and
// returns the writer's queue: closing it closes the command pipe once the
// lines queued before are written.
func startPipeGoroutines(root *actor.RootContext, self *actor.PID, run uint64, p *pipes, handle func(pid int) (*osproc.Process, error)) (chan<- *cmdLine, *pipeRun) {
	q := make(chan *cmdLine, cmdQueueSize)
	pr := &pipeRun{cmdW: p.cmdW, statusR: p.statusR, logR: p.logR, q: q, statusDone: p.statusDone}
	pr.start(root, self, run, handle, nil, nil)
	return q, pr
}

// statusEmitter turns the status lines of run into messages. Each line
// holds one of slots until the actor has taken its last message
// (freeSlot): past maxProxyStatusLines the reader waits, the status pipe
// fills and the proxy's writes block, as for its log lines; a proxy
// that floods garbage never grows cfkd's mailbox without bound. stop (a
// freeze) lets the line go on all the same.
func statusEmitter(root *actor.RootContext, self *actor.PID, run uint64, handle func(pid int) (*osproc.Process, error), slots chan struct{}, stop <-chan struct{}) func([]byte) {
	return func(line []byte) {
		takeSlot(slots, stop)
		st, err := proxywire.ParseStatus(line)
		switch {
		case err != nil:
			name, unstarted := proxywire.ParseUnstarted(line)
			if !unstarted {
				root.Send(self, proxyBadStatus{run: run, err: err, slot: slots})
				return
			}
			root.Send(self, proxyBadStatus{run: run, err: err})
			// cfk-proxy could not run the start at all: still its answer
			// (the next started is the next start's)
			root.Send(self, proxyReportedStopped{run: run, name: name, slot: slots})
		case st.Status == proxywire.StatusStarted:
			proc, err := handle(st.Pid)
			root.Send(self, proxyReportedStarted{run: run, name: st.Name, pid: st.Pid, proc: proc, handleErr: err, slot: slots})
		default:
			m := proxyReportedStopped{run: run, name: st.Name, pid: st.Pid, slot: slots}
			if err := st.NoEnd(); err != nil {
				// logged as a bad line, and taken: the proxy says the
				// process ended (REFERENCE §4.3), dropped its service
				// would run for ever
				root.Send(self, proxyBadStatus{run: run, err: fmt.Errorf("the exit of '%s' (pid %d): %w: taken as an abnormal end",
					st.Name, st.Pid, err)})
				// status: no end either (a stopped process's); an
				// upgrade in place carries Reported with it (state
				// version 8), and the new cfkd says the end as this one
				// would (REFERENCE §13.2)
				m.reported, m.status = st.ExitText(), 0x7f
				if st.NoExit() {
					m.reported = lifecycle.NoExitStatus
				}
			} else {
				m.status = syscall.WaitStatus(st.ExitStatus)
			}
			root.Send(self, m)
		}
	}
}

// takeSlot waits for a slot for the next line read, or for stop (a
// freeze: the line goes on all the same, and the next read fails).
func takeSlot(slots chan<- struct{}, stop <-chan struct{}) {
	select {
	case slots <- struct{}{}:
	case <-stop:
	}
}

// freeSlot gives back the slot of a line the actor took (a nil slot, or
// one not taken because the reader was freezing, is nothing).
func freeSlot(slot <-chan struct{}) {
	if slot == nil {
		return
	}
	select {
	case <-slot:
	default:
	}
}

// sendCommand encodes c and sends it; one that does not encode (not from
// a declaration that parsed) is logged and dropped.
func (p *Proxy) sendCommand(ctx actor.Context, c proxywire.Command) {
	line, err := proxywire.EncodeCommand(c)
	if err != nil {
		p.log.WithError(err).Errorf("proxy '%s': command not sent", p.cfg.Name)
		return
	}
	p.send(ctx, &cmdLine{b: line, name: c.Name, stop: c.Command == proxywire.CommandStop})
}

// readerEnd is how a reader of an upgradable run ends: frozen when its
// read deadline passes, eof at the end of its stream (closed: it closes
// r; else it leaves r open, the freeze told). Zero: it closes r at EOF.
type readerEnd struct {
	frozen func(rest []byte)
	eof    func(rest []byte) (closed bool)
	// ending, once it holds, makes the reader read what has arrived
	// without waiting, then end (pipeRun.closeReads)
	ending *atomic.Bool
}

// readLinesFrom calls emit with each line of r, its end taken off by
// trim, until EOF, then closes r (unless end says otherwise); r's stream
// starts with carry (bytes read from it before: an upgrade in place,
// proxy_upgrade.go). Overlong lines are cut at maxProxyLine; a line that
// trim leaves empty is skipped. When r's read deadline passes and
// end.frozen is set, it returns without closing r, and frozen gets what
// was read and not emitted.
func readLinesFrom(r *os.File, carry []byte, trim func([]byte) []byte, emit func([]byte), end readerEnd) {
	frozen := end.frozen
	src := &carryReader{carry: carry, r: r, ending: end.ending}
	br := bufio.NewReaderSize(src, 4096)
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if frozen != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			frozen(append(append(append([]byte(nil), buf...), chunk...), src.carry...))
			return
		}
		if len(buf)+len(chunk) <= maxProxyLine {
			buf = append(buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(buf) > 0 && (err == nil || len(bytes.TrimSpace(buf)) > 0) {
			if line := trim(buf); len(line) > 0 {
				emit(line)
			}
		}
		buf = buf[:0]
		if err != nil {
			if end.eof == nil || end.eof(nil) {
				r.Close()
			}
			return
		}
	}
}

// statusLineEnd takes a status line's end off: its "\n", and any "\r"
// before it (JSON, where a blank at the end means nothing).
func statusLineEnd(b []byte) []byte { return bytes.TrimRight(b, "\r\n") }

// logLineEnd takes a log line's end off: its "\n" alone, as the original
// cfkd's reader did (a readline, then chomp). A proxy writes a line of a
// service as cut from its output ("\n" or "\r\n" taken off, as for a
// direct service, REFERENCE §2.4), so a "\r" before the "\n" is the
// service's own: `printf 'OK\r\r\n'` is logged `OK\r` under a proxy as
// it is run directly. All of them were taken off: `OK`.
func logLineEnd(b []byte) []byte { return bytes.TrimSuffix(b, []byte("\n")) }

// startCommand is the start command of service c (REFERENCE §4.2): cmd the
// string or the array as declared; env the add_env pairs only, as the
// original's (the proxy adds CONTROL_FREAK_ENABLED and
// CONTROL_FREAK_SERVICE: REFERENCE §4.6); tie_stdin_to none when the
// service has none. The original sent the console's raw strings for the
// booleans ("1", "yes", ...) and its proxy only tested them for Perl truth
// (`unless ($svc->{ignore_stdout})`), which the JSON true/false that
// proxywire.EncodeCommand writes satisfy.
func startCommand(c messages.ServiceConfig) proxywire.Command {
	cmd := proxywire.Command{Command: proxywire.CommandStart, Name: c.Name, Cmd: c.Cmd,
		Env: make(map[string]string, len(c.Env)), IgnoreStdout: c.IgnoreStdout,
		IgnoreStderr: c.IgnoreStderr, NoNewSession: c.NoNewSession, TieStdinTo: c.TieStdinTo}
	if len(c.Argv) > 0 {
		cmd.Cmd, cmd.Argv = "", c.Argv
	}
	for _, e := range c.Env {
		cmd.Env[e.Key] = e.Value
	}
	return cmd
}
