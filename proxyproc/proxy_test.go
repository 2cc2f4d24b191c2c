package proxyproc

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

const deadline = 10 * time.Second

// rig runs a Proxy in-process on real pipes and drives it as cfkd would.
type rig struct {
	t       *testing.T
	cmdW    *os.File
	sigs    chan os.Signal
	done    chan error
	mu      sync.Mutex
	changed chan struct{}
	status  []string
	logs    []string
}

func newRig(t *testing.T, sockets map[string]*os.File, grace time.Duration) *rig {
	t.Helper()
	return newRigWith(t, launcher, sockets, grace)
}

// newRigWith is newRig with a Launcher of the test's (one wrapping
// launcher, to slow it down).
func newRigWith(t *testing.T, l Launcher, sockets map[string]*os.File, grace time.Duration) *rig {
	t.Helper()
	cmdR, cmdW := pipe(t)
	stR, stW := pipe(t)
	logR, logW := pipe(t)
	r := &rig{t: t, cmdW: cmdW, sigs: make(chan os.Signal, 1), done: make(chan error, 1), changed: make(chan struct{})}
	p := New(Config{
		Launcher: l, Commands: cmdR, Status: stW, Log: logW,
		Sockets: sockets, Env: os.Environ(), Signals: r.sigs, Grace: grace, Self: "test",
	})
	go func() {
		err := p.Run()
		p.Close(time.Second)
		cmdR.Close()
		stW.Close()
		logW.Close()
		r.done <- err
	}()
	go r.read(stR, &r.status)
	go r.read(logR, &r.logs)
	t.Cleanup(r.cleanup)
	return r
}

func pipe(t *testing.T) (*os.File, *os.File) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return r, w
}

func (r *rig) read(f *os.File, into *[]string) {
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r.mu.Lock()
		*into = append(*into, sc.Text())
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
	}
}

// cleanup ends the proxy (EOF on its commands) and kills, whatever
// happened, every process group it reported started.
func (r *rig) cleanup() {
	r.cmdW.Close()
	select {
	case <-r.done:
	case <-time.After(deadline):
		r.t.Errorf("proxy still running %v after its command pipe was closed", deadline)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.status {
		if s, err := proxywire.ParseStatus([]byte(l)); err == nil && s.Status == proxywire.StatusStarted && s.Pid > 0 {
			syscall.Kill(-s.Pid, syscall.SIGKILL)
			syscall.Kill(s.Pid, syscall.SIGKILL)
		}
	}
}

func (r *rig) send(line string) {
	r.t.Helper()
	if _, err := r.cmdW.WriteString(line + "\n"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) start(c proxywire.Command) {
	r.t.Helper()
	c.Command = proxywire.CommandStart
	b, err := proxywire.EncodeCommand(c)
	if err != nil {
		r.t.Fatal(err)
	}
	r.send(strings.TrimSuffix(string(b), "\n"))
}

// wait waits until cond holds on the lines received so far.
func (r *rig) wait(what string, cond func(status, logs []string) bool) {
	r.t.Helper()
	timeout := time.After(deadline)
	for {
		r.mu.Lock()
		ok, ch := cond(r.status, r.logs), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			r.mu.Lock()
			defer r.mu.Unlock()
			r.t.Fatalf("timed out waiting for %s\nstatus: %q\nlog: %q", what, r.status, r.logs)
		}
	}
}

// waitStatus waits for a status line of name with that status and returns
// it with its index among the status lines.
func (r *rig) waitStatus(name, status string) (proxywire.Status, int) {
	r.t.Helper()
	var got proxywire.Status
	idx := -1
	r.wait(status+" "+name, func(st, _ []string) bool {
		for i, l := range st {
			s, err := proxywire.ParseStatus([]byte(l))
			if err != nil {
				r.t.Errorf("bad status line %q: %v", l, err)
				continue
			}
			if s.Name == name && s.Status == status {
				got, idx = s, i
				return true
			}
		}
		return false
	})
	return got, idx
}

func (r *rig) waitLog(line string) {
	r.t.Helper()
	r.wait("log line "+line, func(_, logs []string) bool {
		for _, l := range logs {
			if l == line {
				return true
			}
		}
		return false
	})
}

func (r *rig) waitLogPrefix(prefix string) {
	r.t.Helper()
	r.wait("log line "+prefix+"...", func(_, logs []string) bool {
		for _, l := range logs {
			if strings.HasPrefix(l, prefix) {
				return true
			}
		}
		return false
	})
}

func (r *rig) waitDone() {
	r.t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("Run: %v", err)
		}
		r.done <- err // for cleanup
	case <-time.After(deadline):
		r.t.Fatalf("proxy did not return")
	}
}

func TestStartOutputStop(t *testing.T) {
	r := newRig(t, nil, 0)
	r.waitLog("out:-:test proxy started")
	r.start(proxywire.Command{Name: "web", Cmd: `echo hello $CONTROL_FREAK_ENABLED $CONTROL_FREAK_SERVICE $FOO; echo oops >&2; exec sleep 30`,
		Env: map[string]string{"FOO": "bar"}})
	st, _ := r.waitStatus("web", proxywire.StatusStarted)
	if st.Pid <= 0 {
		t.Fatalf("started with pid %d", st.Pid)
	}
	r.waitLog("out:-:starting web")
	r.waitLog("out:web:hello 1 web bar")
	r.waitLog("err:web:oops")
	if pgid, _ := syscall.Getpgid(st.Pid); pgid != st.Pid {
		t.Errorf("pgid %d, want its own group %d", pgid, st.Pid)
	}
	r.send(`{"command":"stop","name":"web"}`)
	r.waitLog("out:-:stopping web")
	got, _ := r.waitStatus("web", proxywire.StatusStopped)
	if got.Pid != st.Pid || got.ExitStatus != 15 {
		t.Errorf("got %+v, want pid %d exit_status 15", got, st.Pid)
	}
	r.send(`{"command":"stop","name":"web"}`)
	r.waitLog("err:-:Oops, I don't know about 'web'")
}

func TestExitStatuses(t *testing.T) {
	r := newRig(t, nil, 0)
	r.start(proxywire.Command{Name: "one", Argv: []string{"sh", "-c", "exit 1"}})
	r.start(proxywire.Command{Name: "zero", Cmd: "true"})
	r.start(proxywire.Command{Name: "nine", Argv: []string{"sleep", "30"}})
	r.start(proxywire.Command{Name: "missing", Argv: []string{"/nonexistent/cmd"}})
	for name, want := range map[string]int{"one": 256, "zero": 0} {
		started, i := r.waitStatus(name, proxywire.StatusStarted)
		got, j := r.waitStatus(name, proxywire.StatusStopped)
		if got.ExitStatus != want || got.Pid != started.Pid || j < i {
			t.Errorf("%s: %+v (line %d after started %+v, line %d), want exit_status %d", name, got, j, started, i, want)
		}
	}
	st, _ := r.waitStatus("nine", proxywire.StatusStarted)
	syscall.Kill(st.Pid, syscall.SIGKILL)
	if got, _ := r.waitStatus("nine", proxywire.StatusStopped); got.ExitStatus != 9 {
		t.Errorf("kill -9: %+v, want exit_status 9", got)
	}
	miss, _ := r.waitStatus("missing", proxywire.StatusStarted)
	got, _ := r.waitStatus("missing", proxywire.StatusStopped)
	if got.ExitStatus != 127<<8 || got.Pid != miss.Pid || got.Pid <= 0 {
		t.Errorf("missing command: %+v, want pid %d exit_status 32512", got, miss.Pid)
	}
	r.waitLogPrefix("err:-:cannot start missing: exec /nonexistent/cmd: ")
	r.waitLogPrefix("err:missing:cfk-proxy: exec /nonexistent/cmd: ")
}

// Fast exits race the bookkeeping: each must be reported, after its start.
func TestFastExitsNeverLost(t *testing.T) {
	r := newRig(t, nil, 0)
	const n = 50
	for i := range n {
		r.start(proxywire.Command{Name: fmt.Sprint("f", i), Argv: []string{"true"}, IgnoreStdout: true, IgnoreStderr: true})
	}
	for i := range n {
		_, a := r.waitStatus(fmt.Sprint("f", i), proxywire.StatusStarted)
		s, b := r.waitStatus(fmt.Sprint("f", i), proxywire.StatusStopped)
		if b < a || s.ExitStatus != 0 {
			t.Errorf("f%d: stopped at line %d, started at %d, %+v", i, b, a, s)
		}
	}
}

func TestBadCommandsAreNotFatal(t *testing.T) {
	r := newRig(t, nil, 0)
	r.send(`{"command":"start",`)
	r.waitLogPrefix(`err:-:parse error in command {"command":"start",: invalid JSON`)
	r.send(`{"command":"reboot","name":"x"}`)
	r.waitLogPrefix(`err:-:couldn't understand command {"command":"reboot","name":"x"}: `)
	r.send(`{"command":"start","name":"x","cmd":[]}`)
	r.waitLogPrefix(`err:-:parse error in command {"command":"start","name":"x","cmd":[]}: cmd: empty array`)
	r.send("")
	r.start(proxywire.Command{Name: "ok", Cmd: "echo still here"})
	r.waitLog("out:ok:still here")
	r.waitStatus("ok", proxywire.StatusStopped)
}

func TestSetUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	var sst syscall.Stat_t
	syscall.Fstat(int(sock.Fd()), &sst)

	r := newRig(t, map[string]*os.File{"web": sock}, 0)
	r.start(proxywire.Command{Name: "tied", Argv: []string{"sleep", "30"}, TieStdinTo: "web", IgnoreStdout: true, NoNewSession: true})
	r.start(proxywire.Command{Name: "untied", Argv: []string{"sleep", "30"}, TieStdinTo: "nosuch", IgnoreStderr: true})
	r.waitLog("err:-:'nosuch' not found in proxy")
	tied, _ := r.waitStatus("tied", proxywire.StatusStarted)
	untied, _ := r.waitStatus("untied", proxywire.StatusStarted)
	link := func(pid, fd int) string {
		s, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		return s
	}
	for _, c := range []struct {
		pid, fd int
		want    string
	}{
		{tied.Pid, 0, fmt.Sprintf("socket:[%d]", sst.Ino)},
		{tied.Pid, 1, "/dev/null"},
		{tied.Pid, 2, "pipe:"},
		{untied.Pid, 0, "/dev/null"},
		{untied.Pid, 1, "pipe:"},
		{untied.Pid, 2, "/dev/null"},
	} {
		if got := link(c.pid, c.fd); !strings.HasPrefix(got, c.want) {
			t.Errorf("pid %d fd %d: %q, want %q", c.pid, c.fd, got, c.want)
		}
	}
	// exactly 0, 1, 2: sleep itself may hold one more for a moment while
	// it starts (the dynamic loader opening libc, setlocale its files),
	// so wait for that to pass; an fd leaked by the proxy would stay
	end := time.Now().Add(deadline)
	for {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", tied.Pid))
		if len(fds) == 3 {
			break
		}
		if time.Now().After(end) {
			var what []string
			for _, f := range fds {
				n, _ := strconv.Atoi(f.Name())
				what = append(what, f.Name()+" "+link(tied.Pid, n))
			}
			t.Errorf("the child has %d fds, want 3: %q", len(fds), what)
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if pgid, _ := syscall.Getpgid(tied.Pid); pgid == tied.Pid {
		t.Errorf("no_new_session: the child leads its own group")
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", untied.Pid))
	if strings.Contains(string(env), "_CFK_") || !strings.Contains(string(env), "\x00CONTROL_FREAK_SERVICE=untied\x00") {
		t.Errorf("environment: %q", env)
	}
}

func TestEOFStopsAll(t *testing.T) {
	r := newRig(t, nil, 0)
	r.start(proxywire.Command{Name: "a", Argv: []string{"sleep", "30"}})
	r.start(proxywire.Command{Name: "b", Cmd: "sleep 30; sleep 30"})
	a, _ := r.waitStatus("a", proxywire.StatusStarted)
	b, _ := r.waitStatus("b", proxywire.StatusStarted)
	r.cmdW.Close()
	r.waitDone()
	for _, s := range []proxywire.Status{a, b} {
		got, _ := r.waitStatus(s.Name, proxywire.StatusStopped)
		if got.ExitStatus != 15 {
			t.Errorf("%s: %+v, want exit_status 15", s.Name, got)
		}
		// the group's other members get the same SIGTERM, but may take a
		// moment more to die and be reaped than its leader
		waitGroupGone(t, s.Name, s.Pid)
	}
	r.waitLog("out:-:shutting down: command pipe closed")
}

func TestSignalStopsAllAndKillsLaggards(t *testing.T) {
	r := newRig(t, nil, 200*time.Millisecond)
	r.start(proxywire.Command{Name: "stubborn", Cmd: `trap "" TERM; echo ready; sleep 30`})
	r.start(proxywire.Command{Name: "meek", Argv: []string{"sleep", "30"}})
	r.waitLog("out:stubborn:ready")
	r.waitStatus("meek", proxywire.StatusStarted)
	r.sigs <- syscall.SIGTERM
	r.waitDone()
	r.waitLog("err:-:Got signal TERM")
	if got, _ := r.waitStatus("meek", proxywire.StatusStopped); got.ExitStatus != 15 {
		t.Errorf("meek: %+v, want 15", got)
	}
	if got, _ := r.waitStatus("stubborn", proxywire.StatusStopped); got.ExitStatus != 9 {
		t.Errorf("stubborn: %+v, want 9", got)
	}
	r.waitLogPrefix("err:-:1 service(s) still alive after 200ms: SIGKILL")
}

// waitGroupGone fails the test unless process group pgid is gone within
// the deadline.
func waitGroupGone(t *testing.T, name string, pgid int) {
	t.Helper()
	end := time.Now().Add(deadline)
	for groupAlive(pgid) {
		if time.Now().After(end) {
			t.Errorf("%s: group %d still alive after %v", name, pgid, deadline)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupAlive reports whether a live process of group pgid remains.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}
