package actors

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// This file holds the goroutines around one run of a proxy process
// (REFERENCE §4): a writer for the command pipe and two readers, for the status and
// log pipes. They own their ends of the pipes and only turn what they
// read (or fail to write) into messages to the proxy actor; every message
// carries the run, so the proxy actor drops what a former run says.

// cmdQueueSize bounds the command lines waiting for the writer. A proxy
// that lets that many pile up is stuck: it is shut down.
const cmdQueueSize = 256

// maxProxyLine bounds one status or log line of a proxy.
const maxProxyLine = 64 * 1024

// Messages from the pipe goroutines to the proxy actor.
type (
	// proxyLogLine is one `TYPE:SVCNAME:MESSAGE` line of the log pipe.
	proxyLogLine struct {
		run  uint64
		line string
	}
	// proxyBadStatus is a status line that does not parse.
	proxyBadStatus struct {
		run uint64
		err error
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
}

func openPipes() (*pipes, error) {
	p := &pipes{}
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
		{Key: messages.ProxyCommandFdEnv, Value: "3"},
		{Key: messages.ProxyStatusFdEnv, Value: "4"},
		{Key: messages.ProxyLogFdEnv, Value: "5"},
	}
	names := make([]string, 0, len(sockets))
	for n := range sockets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		vars = append(vars, messages.EnvVar{Key: messages.ProxySockEnv + n, Value: strconv.Itoa(3 + len(files))})
		files = append(files, sockets[n])
	}
	return files, vars
}

// startPipeGoroutines starts the writer and the two readers of run and
// returns the writer's queue: closing it closes the command pipe once the
// lines queued before are written.
func startPipeGoroutines(root *actor.RootContext, self *actor.PID, run uint64, p *pipes) chan<- []byte {
	q := make(chan []byte, cmdQueueSize)
	go writeCommands(root, self, run, p.cmdW, q)
	go readLines(p.statusR, func(line []byte) {
		st, err := messages.ParseProxyStatus(line)
		switch m := st.(type) {
		case messages.ProxyReportedStarted:
			m.Run = run
			root.Send(self, m)
		case messages.ProxyReportedStopped:
			m.Run = run
			root.Send(self, m)
		default:
			root.Send(self, proxyBadStatus{run: run, err: err})
		}
	})
	go readLines(p.logR, func(line []byte) {
		root.Send(self, proxyLogLine{run: run, line: string(line)})
	})
	return q
}

// writeCommands writes each queued line on the command pipe, and closes
// it once the queue is closed. After a failed write it reports once and
// drops the rest.
func writeCommands(root *actor.RootContext, self *actor.PID, run uint64, w *os.File, q <-chan []byte) {
	defer w.Close()
	broken := false
	for line := range q {
		if broken {
			continue
		}
		if _, err := w.Write(line); err != nil {
			broken = true
			root.Send(self, proxyPipeBroken{run: run, err: err})
		}
	}
}

// readLines calls emit with each line of r (without its "\r\n" or "\n")
// until EOF, then closes r. Overlong lines are cut at maxProxyLine.
func readLines(r *os.File, emit func([]byte)) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 4096)
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) <= maxProxyLine {
			buf = append(buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(buf) > 0 && (err == nil || len(bytes.TrimSpace(buf)) > 0) {
			line := bytes.TrimRight(buf, "\r\n")
			if len(line) > 0 {
				emit(line)
			}
		}
		buf = buf[:0]
		if err != nil {
			return
		}
	}
}
