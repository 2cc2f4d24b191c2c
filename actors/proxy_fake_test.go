package actors

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// playedProxy is a proxy process played by the test: the fake launcher
// hands over (dups of) the child's ends of the three pipes, the test reads
// the commands cfkd writes and writes the status and log lines.
type playedProxy struct {
	t       *testing.T
	pid     int
	spec    osproc.Spec
	cmds    chan string // lines read from the command pipe; closed at EOF
	statusW *os.File
	logW    *os.File
	cmdR    *os.File
}

// playProxies makes the rig's fake hand every proxy launch to the test,
// in order, on the returned channel.
func (r *rig) playProxies() <-chan *playedProxy {
	ch := make(chan *playedProxy, 16)
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		if !hasEnv(spec.Env, proxywire.EnvCommandFd+"=3") || len(spec.ExtraFiles) < 3 {
			return
		}
		dup := func(f *os.File) *os.File {
			fd, err := syscall.Dup(int(f.Fd()))
			if err != nil {
				r.t.Errorf("dup: %v", err)
				return nil
			}
			syscall.CloseOnExec(fd)
			// non-blocking: the runtime poller owns it, so Close wakes a
			// blocked Read (closeCommands relies on it)
			syscall.SetNonblock(fd, true)
			return os.NewFile(uintptr(fd), f.Name())
		}
		p := &playedProxy{t: r.t, pid: pid, spec: spec, cmds: make(chan string, 64),
			statusW: dup(spec.ExtraFiles[1]), logW: dup(spec.ExtraFiles[2])}
		cmdR := dup(spec.ExtraFiles[0])
		p.cmdR = cmdR
		go func() {
			defer close(p.cmds)
			defer cmdR.Close()
			sc := bufio.NewScanner(cmdR)
			for sc.Scan() {
				p.cmds <- sc.Text()
			}
		}()
		r.t.Cleanup(p.close)
		ch <- p
	}
	r.fake.mu.Unlock()
	return ch
}

func hasEnv(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}

// nextProxy waits for the next proxy launch.
func nextProxy(t *testing.T, ch <-chan *playedProxy) *playedProxy {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(deadline):
		t.Fatalf("no proxy launched after %v", deadline)
		return nil
	}
}

// noProxy fails if a proxy is launched within window.
func noProxy(t *testing.T, ch <-chan *playedProxy, window time.Duration) {
	t.Helper()
	select {
	case p := <-ch:
		t.Fatalf("unexpected proxy launch (pid %d)", p.pid)
	case <-time.After(window):
	}
}

// command waits for the next command line.
func (p *playedProxy) command() string {
	p.t.Helper()
	select {
	case l, ok := <-p.cmds:
		if !ok {
			p.t.Fatal("command pipe closed, want a command")
		}
		return l
	case <-time.After(deadline):
		p.t.Fatalf("no command after %v", deadline)
		return ""
	}
}

// eof waits for cfkd to close the command pipe.
func (p *playedProxy) eof() {
	p.t.Helper()
	select {
	case l, ok := <-p.cmds:
		if ok {
			p.t.Fatalf("got command %q, want the command pipe closed", l)
		}
	case <-time.After(deadline):
		p.t.Fatalf("command pipe still open after %v", deadline)
	}
}

func (p *playedProxy) status(s proxywire.Status) {
	p.t.Helper()
	if _, err := p.statusW.Write(proxywire.EncodeStatus(s)); err != nil {
		p.t.Fatalf("status pipe: %v", err)
	}
}

func (p *playedProxy) started(name string, pid int) {
	p.t.Helper()
	p.status(proxywire.Status{Status: proxywire.StatusStarted, Name: name, Pid: pid})
}

func (p *playedProxy) stopped(name string, pid int, ws syscall.WaitStatus) {
	p.t.Helper()
	p.status(proxywire.Status{Status: proxywire.StatusStopped, Name: name, Pid: pid, ExitStatus: int(ws)})
}

func (p *playedProxy) log(line string) {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.logW, line); err != nil {
		p.t.Fatalf("log pipe: %v", err)
	}
}

// closeCommands closes the proxy's command pipe: cfkd's next write fails.
func (p *playedProxy) closeCommands() {
	p.cmdR.Close()
	for range p.cmds {
	}
}

func (p *playedProxy) close() {
	p.statusW.Close()
	p.logW.Close()
	p.cmdR.Close()
	go func() { // the reader may be blocked on a full p.cmds
		for range p.cmds {
		}
	}()
}

// logCapture records the entries of a logger.
type logCapture struct {
	mu      sync.Mutex
	entries []*logrus.Entry
	changed chan struct{}
}

func (c *logCapture) Levels() []logrus.Level { return logrus.AllLevels }

func (c *logCapture) Fire(e *logrus.Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, e)
	close(c.changed)
	c.changed = make(chan struct{})
	return nil
}

// captureServiceLog routes the rig's service log to a capture.
func captureServiceLog(c *logCapture) func(*Options) {
	return func(o *Options) {
		l := quietLogger()
		l.SetLevel(logrus.DebugLevel)
		l.AddHook(c)
		o.ServiceLog = l
	}
}

// captureLog is newRig's option that has c capture cfkd's own records
// (Options.Log), debug ones included.
func captureLog(c *logCapture) func(*Options) {
	return func(o *Options) {
		l := quietLogger()
		l.SetLevel(logrus.DebugLevel)
		l.AddHook(c)
		o.Log = l
	}
}

// wait returns the first entry with message msg.
func (c *logCapture) wait(t *testing.T, msg string) *logrus.Entry {
	t.Helper()
	return c.waitCount(t, msg, 1)
}

// waitCount returns the nth entry with message msg, waiting up to
// deadline for each.
func (c *logCapture) waitCount(t *testing.T, msg string, n int) *logrus.Entry {
	t.Helper()
	timeout := time.After(time.Duration(n) * deadline)
	for {
		c.mu.Lock()
		seen := 0
		for _, e := range c.entries {
			if e.Message == msg {
				if seen++; seen == n {
					c.mu.Unlock()
					return e
				}
			}
		}
		ch := c.changed
		c.mu.Unlock()
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("%d log entries %q after %v, want %d", seen, msg, time.Duration(n)*deadline, n)
		}
	}
}

func fieldsText(e *logrus.Entry) string {
	var parts []string
	for _, k := range []string{"category", "service", "pid", "proxy"} {
		if v, ok := e.Data[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return e.Level.String() + " " + strings.Join(parts, " ")
}
