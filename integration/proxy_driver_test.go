package integration

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
)

// Tests of the proxy programs themselves (cfk-proxy, and the Python preload
// proxy), run as cfkd runs them: three pipes at fds 3, 4, 5 named by the
// _CFK_* variables, commands written and statuses and log lines read
// exactly as cfkd does.

// proxyRun is one proxy process driven through its pipes.
type proxyRun struct {
	t      *testing.T
	proc   *osproc.Process
	cmdW   *os.File
	exited chan syscall.WaitStatus

	mu      sync.Mutex
	changed chan struct{}
	status  []string
	logs    []string
}

// startProxy runs argv as a proxy with env added to the test's own.
func startProxy(t *testing.T, argv []string, env ...string) *proxyRun {
	t.Helper()
	return startProxyFiles(t, argv, nil, env...)
}

// startProxyFiles is startProxy with extra files for fds 6, 7...
func startProxyFiles(t *testing.T, argv []string, extra []*os.File, env ...string) *proxyRun {
	t.Helper()
	p, _ := launchProxy(t, argv, extra, false, env...)
	return p
}

// startProxyRawLog is startProxy with the read end of the log pipe left
// to the test, unread: p.logs stays empty.
func startProxyRawLog(t *testing.T, argv []string, env ...string) (p *proxyRun, log *os.File) {
	t.Helper()
	return launchProxy(t, argv, nil, true, env...)
}

// launchProxy is startProxyFiles; with rawLog, the log pipe's read end is
// returned unread (closed at the end of the test), else read into p.logs.
func launchProxy(t *testing.T, argv []string, extra []*os.File, rawLog bool, env ...string) (*proxyRun, *os.File) {
	t.Helper()
	var ends []*os.File
	mk := func() (*os.File, *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, r, w)
		return r, w
	}
	cmdR, cmdW := mk()
	stR, stW := mk()
	logR, logW := mk()
	p := &proxyRun{t: t, cmdW: cmdW, exited: make(chan syscall.WaitStatus, 1), changed: make(chan struct{})}
	spec := osproc.Spec{
		Argv: argv,
		Env: append(append(os.Environ(), "_CFK_COMMAND_FD=3", "_CFK_STATUS_FD=4", "_CFK_LOG_FD=5",
			"PYTHONDONTWRITEBYTECODE=1"), env...),
		Setsid:     true,
		ExtraFiles: append([]*os.File{cmdR, stW, logW}, extra...),
		Stderr:     testLogger(t, "proxy stderr"),
	}
	proc, err := launcher.Launch(spec, func(_ int, ws syscall.WaitStatus) { p.exited <- ws })
	cmdR.Close()
	stW.Close()
	logW.Close()
	if err != nil {
		for _, f := range ends {
			f.Close()
		}
		t.Fatal(err)
	}
	p.proc = proc
	go p.read(stR, &p.status)
	t.Cleanup(p.cleanup)
	if rawLog {
		t.Cleanup(func() { logR.Close() }) // before p.cleanup: a proxy blocked on it exits
		return p, logR
	}
	go p.read(logR, &p.logs)
	return p, nil
}

func (p *proxyRun) read(f *os.File, into *[]string) {
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p.mu.Lock()
		*into = append(*into, sc.Text())
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

// cleanup closes the command pipe (the proxy then stops everything and
// exits), and kills, whatever happened, the proxy and every service group
// it reported started.
func (p *proxyRun) cleanup() {
	p.cmdW.Close()
	select {
	case <-p.exited:
	case <-time.After(deadline):
		p.t.Errorf("proxy pid %d still running %v after EOF: killing it", p.proc.Pid, deadline)
		launcher.Signal(p.proc, syscall.SIGKILL)
		<-p.exited
	}
	for _, pid := range p.startedPids() {
		syscall.Kill(-pid, syscall.SIGKILL)
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (p *proxyRun) startedPids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []int
	for _, l := range p.status {
		if s, err := proxywire.ParseStatus([]byte(l)); err == nil && s.Status == proxywire.StatusStarted && s.Pid > 0 {
			out = append(out, s.Pid)
		}
	}
	return out
}

func (p *proxyRun) send(line string) {
	p.t.Helper()
	if _, err := p.cmdW.WriteString(line + "\n"); err != nil {
		p.t.Fatal(err)
	}
}

func (p *proxyRun) start(c proxywire.Command) {
	p.t.Helper()
	c.Command = proxywire.CommandStart
	p.command(c)
}

func (p *proxyRun) stop(name string) {
	p.t.Helper()
	p.command(proxywire.Command{Command: proxywire.CommandStop, Name: name})
}

// command writes c as cfkd does.
func (p *proxyRun) command(c proxywire.Command) {
	p.t.Helper()
	b, err := proxywire.EncodeCommand(c)
	if err != nil {
		p.t.Fatal(err)
	}
	p.send(strings.TrimSuffix(string(b), "\n"))
}

func (p *proxyRun) wait(what string, d time.Duration, cond func(status, logs []string) bool) {
	p.t.Helper()
	timeout := time.After(d)
	for {
		p.mu.Lock()
		ok, ch := cond(p.status, p.logs), p.changed
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			p.mu.Lock()
			defer p.mu.Unlock()
			p.t.Fatalf("timed out after %v waiting for %s\nstatus: %q\nlog: %q", d, what, p.status, p.logs)
		}
	}
}

// waitStatus waits for the first status of name with that status and
// checks every status line is valid JSON of the protocol.
func (p *proxyRun) waitStatus(name, status string) proxywire.Status {
	p.t.Helper()
	var got proxywire.Status
	p.wait(status+" "+name, deadline, func(st, _ []string) bool {
		for _, l := range st {
			s, err := proxywire.ParseStatus([]byte(l))
			if err != nil {
				p.t.Errorf("bad status line %q: %v", l, err)
				continue
			}
			if s.Name == name && s.Status == status {
				got = s
				return true
			}
		}
		return false
	})
	return got
}

func (p *proxyRun) waitLog(prefix string) string {
	p.t.Helper()
	var got string
	p.wait("log line "+prefix, deadline, func(_, logs []string) bool {
		for _, l := range logs {
			if strings.HasPrefix(l, prefix) {
				got = l
				return true
			}
		}
		return false
	})
	return got
}

// waitExit waits for the proxy to exit and returns its wait status.
func (p *proxyRun) waitExit() syscall.WaitStatus {
	p.t.Helper()
	select {
	case ws := <-p.exited:
		p.exited <- ws // for cleanup
		return ws
	case <-time.After(deadline):
		p.t.Fatalf("proxy did not exit within %v", deadline)
		return 0
	}
}

// buildCfkProxy puts a cfk-proxy built from cmd/cfk-proxy into dir. It
// is built once for the test process (builtCfkProxy; each build took 2 to
// 7 s of the test that asked for it) and linked (else copied) into dir,
// so that each test has its own path.
func buildCfkProxy(t *testing.T, dir string) string {
	t.Helper()
	cfkProxyBuild.Lock()
	defer cfkProxyBuild.Unlock()
	if cfkProxyBuild.path == "" {
		if cfkProxyBuild.dir == "" {
			tmp, err := os.MkdirTemp("", "cfk-proxy-build")
			if err != nil {
				t.Fatal(err)
			}
			cfkProxyBuild.dir = tmp
		}
		// a build that fails fails this test, and the next one builds again
		cfkProxyBuild.path = builtCfkProxy(t, cfkProxyBuild.dir)
	}
	out := filepath.Join(dir, "cfk-proxy")
	if os.Link(cfkProxyBuild.path, out) == nil {
		return out // no write: no fd open for writing that a fork could keep (ETXTBSY)
	}
	bin, err := os.ReadFile(cfkProxyBuild.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// cfkProxyBuild is the one build of cfk-proxy of the test process (path,
// in dir, which TestMain removes).
var cfkProxyBuild struct {
	sync.Mutex
	dir, path string
}

// builtCfkProxy builds cmd/cfk-proxy into dir. It runs `go build` through
// the launcher: exec.Cmd.Wait would race the test process's reaper.
func builtCfkProxy(t *testing.T, dir string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain in PATH")
	}
	out := filepath.Join(dir, "cfk-proxy")
	var mu sync.Mutex
	var msgs []string
	done := make(chan syscall.WaitStatus, 1)
	keep := func(_ int, l []byte) { mu.Lock(); msgs = append(msgs, string(l)); mu.Unlock() }
	proc, err := launcher.Launch(osproc.Spec{
		Argv: append(append([]string{gobin, "build", "-o", out}, testkit.BuildFlags()...), "../cmd/cfk-proxy"), Env: os.Environ(),
		Stdout: keep, Stderr: keep,
	}, func(_ int, ws syscall.WaitStatus) { done <- ws })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-done:
		if ws != 0 {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("go build: status %d: %s", ws, strings.Join(msgs, "\n"))
		}
	case <-time.After(2 * time.Minute):
		launcher.Signal(proc, syscall.SIGKILL)
		<-done
		t.Fatal("go build took more than 2 minutes")
	}
	return out
}

// pythonProxy returns the argv of the Python preload proxy preloading
// module from dir, or skips the test without python3.
func pythonProxy(t *testing.T, dir, module string) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH")
	}
	script, err := filepath.Abs("../proxyproc/python/cfk_preload_proxy.py")
	if err != nil {
		t.Fatal(err)
	}
	return []string{py, script, "--preload", module, "--path", dir, "--grace", "0.5"}
}

// testLogger returns an output callback that logs lines on t until the
// test's cleanup: the output of a child may come after its exit, and
// t.Logf after the end of a test panics.
func testLogger(t *testing.T, prefix string) func(int, []byte) {
	var mu sync.Mutex
	done := false
	t.Cleanup(func() { mu.Lock(); done = true; mu.Unlock() })
	return func(pid int, line []byte) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf("%s (pid %d): %s", prefix, pid, line)
		}
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
