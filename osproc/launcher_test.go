package osproc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// deadline bounds every wait of these tests.
const deadline = 10 * time.Second

// child is a process started by start.
type child struct {
	*Process
	exit chan exited   // receives the exit once
	done chan struct{} // closed after onExit
	out  chan string   // stdout lines (when captured)
	err  chan string   // stderr lines (when captured)
}

// start launches spec and makes sure, even if the test fails, that the
// process (its group with Setsid) is killed and reaped before the test ends.
func start(t *testing.T, spec Spec) *child {
	t.Helper()
	c, err := tryStart(t, spec)
	if err != nil {
		t.Fatalf("Launch %q: %v", spec.Argv, err)
	}
	return c
}

func tryStart(t *testing.T, spec Spec) (*child, error) {
	t.Helper()
	if spec.Env == nil {
		spec.Env = os.Environ()
	}
	c := &child{
		exit: make(chan exited, 1),
		done: make(chan struct{}),
	}
	onExit := func(pid int, ws syscall.WaitStatus) {
		c.exit <- exited{pid, ws}
		close(c.done)
	}
	p, err := launcher.Launch(spec, onExit)
	if err != nil {
		return nil, err
	}
	c.Process = p
	t.Cleanup(func() {
		if err := launcher.Signal(p, syscall.SIGKILL); err != nil && !errors.Is(err, ErrDone) {
			t.Errorf("cleanup: kill %d: %v", p.Pid, err)
		}
		select {
		case <-c.done:
		case <-time.After(deadline):
			t.Errorf("cleanup: process %d was not reaped", p.Pid)
		}
	})
	return c, nil
}

type exited struct {
	pid int
	ws  syscall.WaitStatus
}

// capture sets spec's Stdout and Stderr to feed c.out and c.err, checking
// that the pid given with each line is the child's.
func capture(t *testing.T, spec Spec) *child {
	t.Helper()
	out, errs := make(chan string, 1000), make(chan string, 1000)
	var pid atomic.Int64
	pidReady := make(chan struct{})
	check := func(p int) {
		<-pidReady // the callback may run before Launch returns
		if int64(p) != pid.Load() {
			t.Errorf("line with pid %d, want %d", p, pid.Load())
		}
	}
	spec.Stdout = func(p int, line []byte) { check(p); out <- string(line) }
	spec.Stderr = func(p int, line []byte) { check(p); errs <- string(line) }
	c, err := tryStart(t, spec)
	if err != nil {
		close(pidReady)
		t.Fatalf("Launch %q: %v", spec.Argv, err)
	}
	pid.Store(int64(c.Pid))
	close(pidReady)
	c.out, c.err = out, errs
	return c
}

func (c *child) wait(t *testing.T) syscall.WaitStatus {
	t.Helper()
	select {
	case e := <-c.exit:
		if e.pid != c.Pid {
			t.Errorf("onExit with pid %d, want %d", e.pid, c.Pid)
		}
		return e.ws
	case <-time.After(deadline):
		t.Fatalf("process %d did not exit in %v", c.Pid, deadline)
		return 0
	}
}

// lines receives n lines from ch.
func lines(t *testing.T, ch <-chan string, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(deadline)
	for len(got) < n {
		select {
		case l := <-ch:
			got = append(got, l)
		case <-timeout:
			t.Fatalf("got %d lines %q, want %d", len(got), got, n)
		}
	}
	return got
}

// eventually polls cond (reading /proc) until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%s: still not true after %v: %s", what, deadline, detail)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestExitStatus(t *testing.T) {
	t.Run("exit 0", func(t *testing.T) {
		ws := start(t, Spec{Argv: []string{"true"}}).wait(t)
		if !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("status %#x: want exit 0", ws)
		}
	})
	t.Run("exit 3", func(t *testing.T) {
		ws := start(t, Spec{Argv: sh("exit 3")}).wait(t)
		if !ws.Exited() || ws.ExitStatus() != 3 {
			t.Errorf("status %#x: want exit 3", ws)
		}
	})
	t.Run("killed by 9", func(t *testing.T) {
		ws := start(t, Spec{Argv: sh("kill -9 $$")}).wait(t)
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Errorf("status %#x: want signal 9", ws)
		}
	})
}

// An exit is never lost, even when the child dies before Launch returns.
func TestImmediateExitNotLost(t *testing.T) {
	const n = 200
	type launchExit struct{ i, pid int }
	exits := make(chan launchExit, 2*n)
	pids := make([]int, n)
	var wg sync.WaitGroup
	const workers = 4
	var failed atomic.Bool
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				// every other child leaves an orphan, reaped while forks
				// are under way: it must not be taken for a launched pid
				argv := []string{"true"}
				if i%2 == 1 {
					argv = sh("true & exit 0")
				}
				p, err := launcher.Launch(Spec{Argv: argv}, func(pid int, ws syscall.WaitStatus) {
					if !ws.Exited() || ws.ExitStatus() != 0 {
						t.Errorf("launch %d: status %#x", i, ws)
					}
					exits <- launchExit{i, pid}
				})
				if err != nil {
					t.Errorf("launch %d: %v", i, err)
					failed.Store(true)
					return
				}
				pids[i] = p.Pid
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		// the processes that started die at once; TestMain checks none is left
		t.FailNow()
	}
	seen := make(map[int]bool)
	timeout := time.After(3 * deadline)
	for len(seen) < n {
		select {
		case e := <-exits:
			i := e.i
			if seen[i] {
				t.Fatalf("launch %d (pid %d): onExit called twice", i, pids[i])
			}
			if e.pid != pids[i] {
				t.Errorf("launch %d: onExit with pid %d, want %d", i, e.pid, pids[i])
			}
			seen[i] = true
		case <-timeout:
			t.Fatalf("got %d exits of %d launches", len(seen), n)
		}
	}
	select {
	case e := <-exits:
		t.Errorf("an extra exit for launch %d", e.i)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestSetsid(t *testing.T) {
	t.Run("setsid", func(t *testing.T) {
		c := start(t, Spec{Argv: []string{"sleep", "10"}, Setsid: true})
		st, err := readStat(c.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if st.pgrp != c.Pid || st.sid != c.Pid {
			t.Errorf("pgrp %d sid %d, want both %d", st.pgrp, st.sid, c.Pid)
		}
	})
	t.Run("no setsid", func(t *testing.T) {
		c := start(t, Spec{Argv: []string{"sleep", "10"}})
		st, err := readStat(c.Pid)
		if err != nil {
			t.Fatal(err)
		}
		sid, _ := unix.Getsid(0)
		if st.pgrp != syscall.Getpgrp() || st.sid != sid {
			t.Errorf("pgrp %d sid %d, want the test's %d, %d", st.pgrp, st.sid, syscall.Getpgrp(), sid)
		}
		// Signal then targets the pid alone
		if err := launcher.Signal(c.Process, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if ws := c.wait(t); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Errorf("status %#x: want SIGTERM", ws)
		}
	})
}

// Signal reaches the whole group: `sleep 10; sleep 10` stops promptly.
func TestSignalGroup(t *testing.T) {
	c := start(t, Spec{Argv: sh("sleep 100 & sleep 100; wait"), Setsid: true})
	t.Cleanup(func() { // whatever happens, no sleep of that group survives
		for _, p := range inGroup(c.Pid) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	eventually(t, "sh and its 2 sleeps run", func() (bool, string) {
		g := inGroup(c.Pid)
		n := 0
		for _, p := range g {
			if p.comm == "sleep" {
				n++
			}
		}
		return n == 2, fmt.Sprint(g)
	})
	if err := launcher.Signal(c.Process, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if ws := c.wait(t); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("status %#x: want SIGTERM", ws)
	}
	// the sleeps, orphaned, are adopted and reaped too: nothing of the group
	// is left, not even a zombie
	eventually(t, "the group is gone", func() (bool, string) {
		g := inGroup(c.Pid)
		return len(g) == 0, fmt.Sprint(g)
	})
}

func TestSignalAfterExit(t *testing.T) {
	for _, setsid := range []bool{false, true} {
		c := start(t, Spec{Argv: []string{"true"}, Setsid: setsid})
		c.wait(t)
		if err := launcher.Signal(c.Process, syscall.SIGTERM); !errors.Is(err, ErrDone) {
			t.Errorf("setsid %v: Signal after exit: %v, want ErrDone", setsid, err)
		}
	}
}

// Only fds 0, 1, 2 and ExtraFiles reach a child.
func TestCleanFdTable(t *testing.T) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if n := len(openFds(t)); n < 3+4 {
		t.Fatalf("only %d fds open in the test process: the test proves nothing", n)
	}

	// ls opens /proc/self/fd as its lowest free fd; -m -w 0 prints one line
	t.Run("no extra files", func(t *testing.T) {
		c := capture(t, Spec{Argv: []string{"ls", "-m", "-w", "0", "/proc/self/fd"}})
		if got := lines(t, c.out, 1)[0]; got != "0, 1, 2, 3" {
			t.Errorf("child fds: %s, want 0, 1, 2, 3 (3 is ls's own)", got)
		}
		c.wait(t)
	})
	t.Run("extra files", func(t *testing.T) {
		c := capture(t, Spec{Argv: []string{"ls", "-m", "-w", "0", "/proc/self/fd"}, ExtraFiles: []*os.File{f}})
		if got := lines(t, c.out, 1)[0]; got != "0, 1, 2, 3, 4" {
			t.Errorf("child fds: %s, want 0, 1, 2, 3, 4 (4 is ls's own)", got)
		}
		c.wait(t)
		c = capture(t, Spec{Argv: []string{"readlink", "/proc/self/fd/3"}, ExtraFiles: []*os.File{f}})
		if got := lines(t, c.out, 1)[0]; got != "/etc/passwd" {
			t.Errorf("fd 3 is %s, want /etc/passwd", got)
		}
		c.wait(t)
	})
}

func openFds(t *testing.T) []string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestStdoutStderr(t *testing.T) {
	c := capture(t, Spec{Argv: sh("echo out1; echo err1 >&2; echo out2; printf 'no newline' >&2")})
	if got, want := lines(t, c.out, 2), []string{"out1", "out2"}; !slices.Equal(got, want) {
		t.Errorf("stdout %q, want %q", got, want)
	}
	if got, want := lines(t, c.err, 2), []string{"err1", "no newline"}; !slices.Equal(got, want) {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if ws := c.wait(t); ws.ExitStatus() != 0 {
		t.Errorf("status %#x", ws)
	}
}

func TestNilStreamsAreDevNull(t *testing.T) {
	c := start(t, Spec{Argv: []string{"sleep", "10"}})
	for fd := range 3 {
		got, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", c.Pid, fd))
		if err != nil {
			t.Fatal(err)
		}
		if got != os.DevNull {
			t.Errorf("fd %d is %s, want %s", fd, got, os.DevNull)
		}
	}
}

func TestStdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c := capture(t, Spec{Argv: []string{"cat"}, Stdin: r})
	r.Close() // the child has its own copy
	if _, err := w.WriteString("hello\nworld\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := lines(t, c.out, 2), []string{"hello", "world"}; !slices.Equal(got, want) {
		t.Errorf("cat echoed %q, want %q", got, want)
	}
	w.Close() // EOF: cat ends
	if ws := c.wait(t); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("status %#x", ws)
	}
}

func TestEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	c := capture(t, Spec{
		Argv: sh("echo $FOO; pwd"),
		Env:  []string{"FOO=bar baz", "PATH=/usr/bin:/bin"},
		Dir:  dir,
	})
	if got, want := lines(t, c.out, 2), []string{"bar baz", dir}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	c.wait(t)

	c = capture(t, Spec{Argv: []string{"env"}, Env: []string{"ONLY=1", "PATH=/usr/bin:/bin"}})
	if got, want := lines(t, c.out, 2), []string{"ONLY=1", "PATH=/usr/bin:/bin"}; !slices.Equal(got, want) {
		t.Errorf("env: %q, want exactly %q", got, want)
	}
	c.wait(t)
}

// A command without a slash is looked up in the PATH of Spec.Env; a relative
// PATH entry is relative to Spec.Dir, as in the child.
func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "bin", "osproc-hello")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hello from $0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("absolute PATH entry", func(t *testing.T) {
		c := capture(t, Spec{Argv: []string{"osproc-hello"}, Env: []string{"PATH=/nonexistent:" + filepath.Join(dir, "bin")}})
		if got := lines(t, c.out, 1)[0]; got != "hello from "+script {
			t.Errorf("got %q", got)
		}
		c.wait(t)
	})
	t.Run("relative PATH entry", func(t *testing.T) {
		c := capture(t, Spec{Argv: []string{"osproc-hello"}, Env: []string{"PATH=bin"}, Dir: dir})
		if got := lines(t, c.out, 1)[0]; got != "hello from ./bin/osproc-hello" {
			t.Errorf("got %q", got)
		}
		c.wait(t)
	})
	t.Run("relative path", func(t *testing.T) {
		c := capture(t, Spec{Argv: []string{"bin/osproc-hello"}, Env: []string{"PATH=/usr/bin:/bin"}, Dir: dir})
		if got := lines(t, c.out, 1)[0]; got != "hello from bin/osproc-hello" {
			t.Errorf("got %q", got)
		}
		c.wait(t)
	})
	t.Run("not in PATH", func(t *testing.T) {
		if _, err := tryStart(t, Spec{Argv: []string{"osproc-hello"}, Env: []string{"PATH=/usr/bin:/bin"}}); err == nil {
			t.Error("no error")
		}
	})
}

func TestLaunchErrors(t *testing.T) {
	dir := t.TempDir()
	notExe := filepath.Join(dir, "garbage")
	// executable bits but no format the kernel knows: execve fails (ENOEXEC)
	if err := os.WriteFile(notExe, []byte{0, 1, 2, 3, 4, 5, 6, 7}, 0o755); err != nil {
		t.Fatal(err)
	}
	noExecBit := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noExecBit, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var called atomic.Int32
	fdsBefore := len(openFds(t))
	for _, argv := range [][]string{
		nil,
		{""},
		{"/nonexistent/command"},
		{"no-such-command-osproc-test"},
		{"/tmp"},
		{dir},
		{notExe},
		{noExecBit},
	} {
		spec := Spec{
			Argv:   argv,
			Env:    os.Environ(),
			Stdout: func(int, []byte) {},
			Stderr: func(int, []byte) {},
		}
		p, err := launcher.Launch(spec, func(int, syscall.WaitStatus) { called.Add(1) })
		if err == nil {
			launcher.Signal(p, syscall.SIGKILL)
			t.Errorf("Launch %q: no error", argv)
			continue
		}
		if p != nil {
			t.Errorf("Launch %q: error %v with a process", argv, err)
		}
		t.Logf("Launch %q: %v", argv, err)
	}
	// a later exit passes through the reaper: nothing for the failures
	start(t, Spec{Argv: []string{"true"}}).wait(t)
	if n := called.Load(); n != 0 {
		t.Errorf("onExit called %d times for launches that failed", n)
	}
	// (fewer is fine: the output poller may close pipes of earlier tests now)
	if fdsAfter := len(openFds(t)); fdsAfter > fdsBefore {
		t.Errorf("%d fds open before the failed launches, %d after: the pipes leak", fdsBefore, fdsAfter)
	}
}

func TestCredential(t *testing.T) {
	if c, err := Credential("", ""); c != nil || err != nil {
		t.Errorf("Credential(\"\", \"\") = %v, %v; want nil, nil", c, err)
	}
	if _, err := Credential("no-such-user-osproc", ""); err == nil {
		t.Error("unknown user: no error")
	}
	if _, err := Credential("", "no-such-group-osproc"); err == nil {
		t.Error("unknown group: no error")
	}
	if os.Getuid() != 0 {
		t.Skip("not root: cannot switch users")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	run := func(t *testing.T, cred *syscall.Credential, argv ...string) string {
		t.Helper()
		c := capture(t, Spec{Argv: argv, Credential: cred})
		out := lines(t, c.out, 1)[0]
		if ws := c.wait(t); ws.ExitStatus() != 0 {
			t.Fatalf("%q: status %#x", argv, ws)
		}
		return out
	}
	t.Run("user", func(t *testing.T) {
		cred, err := Credential("nobody", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, cred, "id", "-u"); got != nobody.Uid {
			t.Errorf("id -u: %s, want %s", got, nobody.Uid)
		}
		if got := run(t, cred, "id", "-g"); got != nobody.Gid {
			t.Errorf("id -g: %s, want %s", got, nobody.Gid)
		}
		if got := run(t, cred, "id", "-G"); slices.Contains(strings.Fields(got), "0") {
			t.Errorf("id -G: %s: the child kept root's group", got)
		}
	})
	t.Run("numeric user without passwd entry", func(t *testing.T) {
		cred, err := Credential("54321", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, cred, "id", "-u"); got != "54321" {
			t.Errorf("id -u: %s", got)
		}
		if got := run(t, cred, "id", "-G"); slices.Contains(strings.Fields(got), "0") {
			t.Errorf("id -G: %s: the child kept root's group", got)
		}
	})
	t.Run("group", func(t *testing.T) {
		cred, err := Credential("nobody", "0")
		if err != nil {
			t.Fatal(err)
		}
		if got := run(t, cred, "id", "-g"); got != "0" {
			t.Errorf("id -g: %s, want 0", got)
		}
		// the group replaces nobody's primary group among the
		// supplementary ones too, as initgroups(user, group) does: it
		// stayed there, so the service kept that group's access
		if got := strings.Fields(run(t, cred, "id", "-G")); slices.Contains(got, nobody.Gid) || !slices.Contains(got, "0") {
			t.Errorf("id -G: %q: want 0 and not nobody's group %s", got, nobody.Gid)
		}
	})
	t.Run("user env", func(t *testing.T) {
		home, name, shell, ok := UserEnv("nobody")
		if !ok || home != nobody.HomeDir || name != "nobody" {
			t.Errorf("UserEnv(nobody) = %q, %q, %v; want %q, nobody", home, name, ok, nobody.HomeDir)
		}
		if want, _ := lookupShell("nobody"); shell == "" || shell != want {
			t.Errorf("UserEnv(nobody): shell %q, want %q", shell, want)
		}
		if _, _, _, ok := UserEnv("54321"); ok {
			t.Error("UserEnv of a numeric id without an entry: ok")
		}
	})
	t.Run("not root", testCredentialNotRoot)
}

// helperEnv makes the test binary, run as a child, call runHelper instead
// of the tests.
const helperEnv = "OSPROC_TEST_HELPER"

// runHelper runs in a copy of the test binary started by a test.
func runHelper(mode string) {
	switch mode {
	case "cred":
		// running as nobody: naming oneself is fine, anyone else is an error
		me, err := user.Current()
		if err != nil {
			fmt.Println("user.Current:", err)
			os.Exit(1)
		}
		grp, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
		if err != nil {
			fmt.Println("LookupGroupId:", err)
			os.Exit(1)
		}
		for _, c := range []struct {
			user, group string
			ok          bool
		}{
			{me.Username, "", true},
			{me.Uid, "", true},
			{"", grp.Name, true},
			{me.Username, grp.Name, true},
			{"root", "", false},
			{"", "root", false},
		} {
			cred, err := Credential(c.user, c.group)
			if (err == nil) != c.ok || cred != nil {
				fmt.Printf("Credential(%q, %q) = %v, %v; want ok %v and nil\n", c.user, c.group, cred, err, c.ok)
			}
		}
		fmt.Println("done")
		os.Exit(0)
	}
	if mode == "peek" && canPeek {
		peekHelper() // exits
	}
	fmt.Println("unknown helper", mode)
	os.Exit(2)
}

// testCredentialNotRoot runs a copy of the test binary as nobody to check
// Credential of a daemon that is not root.
func testCredentialNotRoot(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// t.TempDir is under a directory that only root may enter
	dir, err := os.MkdirTemp("", "osproc-helper")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyExe := filepath.Join(dir, "osproc.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyExe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cred, err := Credential("nobody", "")
	if err != nil {
		t.Fatal(err)
	}
	runHelperMode(t, "as nobody", Spec{
		Argv:       []string{copyExe},
		Env:        append(os.Environ(), helperEnv+"=cred"),
		Dir:        "/",
		Credential: cred,
	})
}

// runHelperMode runs spec, this test binary in one of runHelper's modes,
// and fails the test unless its only output line is "done" and it exits
// 0; what names it in the failure.
func runHelperMode(t *testing.T, what string, spec Spec) {
	t.Helper()
	c := capture(t, spec)
	var got []string
	timeout := time.After(deadline)
	for len(got) == 0 || got[len(got)-1] != "done" {
		select {
		case l := <-c.out:
			got = append(got, l)
		case <-timeout:
			t.Fatalf("no \"done\" from the helper: %q", got)
		}
	}
	if len(got) != 1 {
		t.Errorf("%s:\n%s", what, strings.Join(got, "\n"))
	}
	if ws := c.wait(t); ws.ExitStatus() != 0 {
		t.Errorf("helper status %#x", ws)
	}
}

// An orphaned grandchild, adopted by the test process (a child subreaper),
// is reaped: no zombie is left. (It sleeps until killed once found: an
// orphan that ended by itself could be gone before a loaded machine's
// first scan of /proc.)
func TestOrphanReaped(t *testing.T) {
	// in a group of its own, that tells its sleep from another test's
	// orphan, which may be ending meanwhile
	c := start(t, Spec{Argv: sh("sleep 1000 &"), Setsid: true})
	if ws := c.wait(t); ws.ExitStatus() != 0 {
		t.Fatalf("status %#x", ws)
	}
	// the sleep outlives its shell: the test process adopts it (the
	// shell's child may not have exec'd sleep yet: wait for its name) ...
	var orphan int
	eventually(t, "the orphaned sleep is adopted by the test process", func() (bool, string) {
		kids := children(os.Getpid())
		for _, p := range kids {
			if p.comm == "sleep" && p.pgrp == c.Pid { // its shell's group
				orphan = p.pid
				return true, ""
			}
		}
		return false, fmt.Sprint(kids)
	})
	t.Cleanup(func() { syscall.Kill(orphan, syscall.SIGKILL) })
	// ... and reaps it when it ends
	if err := syscall.Kill(orphan, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the orphan is reaped", func() (bool, string) {
		st, err := readStat(orphan)
		if err != nil {
			return true, ""
		}
		return st.ppid != os.Getpid(), st.String()
	})
	for _, p := range children(os.Getpid()) {
		if p.state == 'Z' {
			t.Errorf("zombie child %v", p)
		}
	}
}

// An exit reaped while a fork was under way goes to that fork's pid only
// when the fork had begun by then: a later fork got the pid reused.
func TestRegisterEarlyExits(t *testing.T) {
	l := &Launcher{procs: map[int]*entry{}, early: map[int]earlyExit{}}
	never := func(int, syscall.WaitStatus) { t.Error("onExit called by register") }
	l.inflight, l.forkSeq = 2, 2
	l.early[100] = earlyExit{ws: 1 << 8, seq: 2} // reaped after forks 1 and 2 began
	l.early[200] = earlyExit{ws: 9, seq: 1}      // reaped when only fork 1 had begun
	l.early[300] = earlyExit{ws: 0, seq: 2}      // an orphan: no fork made 300

	proc, early, orphans := l.register(2, 100, nil, true, false, never)
	if early == nil || *early != 1<<8 || !proc.exited || orphans != nil {
		t.Fatalf("fork 2 got pid 100: early %v, exited %v, orphans %v", early, proc.exited, orphans)
	}
	l.inflight, l.forkSeq = 2, 3 // fork 3 begins, after 200 was reaped
	proc, early, orphans = l.register(3, 200, nil, true, false, never)
	if early != nil || proc.exited || l.procs[200] == nil {
		t.Fatalf("fork 3 got the reused pid 200: early %v, exited %v", early, proc.exited)
	}
	if _, ok := orphans[200]; !ok {
		t.Errorf("the old exit of 200 is not reported as an orphan's: %v", orphans)
	}
	_, _, orphans = l.register(1, 0, syscall.EAGAIN, true, false, never)
	if _, ok := orphans[300]; !ok || len(l.early) != 0 || l.inflight != 0 {
		t.Errorf("no fork left: orphans %v, early %v, inflight %d", orphans, l.early, l.inflight)
	}
}

// A command found in the PATH is remembered; when the program moves to
// another directory of the PATH meanwhile, the next start finds it there.
func TestPathCacheFollowsAMove(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	prog := "cfk-pathcache-test"
	script := []byte("#!/bin/sh\necho here\n")
	if err := os.WriteFile(filepath.Join(a, prog), script, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "PATH="+a+":"+b+":/usr/bin:/bin")
	run := func() string {
		c := capture(t, Spec{Argv: []string{prog}, Env: env})
		select {
		case l := <-c.out:
			c.wait(t)
			return l
		case <-time.After(deadline):
			t.Fatal("no output")
		}
		return ""
	}
	if got := run(); got != "here" {
		t.Fatalf("first start: %q", got)
	}
	if _, cached, err := launcher.paths.lookup(prog, env, "", nil); err != nil || !cached {
		t.Fatalf("not cached after a start: %v %v", cached, err)
	}
	if err := os.Rename(filepath.Join(a, prog), filepath.Join(b, prog)); err != nil {
		t.Fatal(err)
	}
	if got := run(); got != "here" {
		t.Fatalf("after the move: %q", got)
	}
	if found, _, _ := launcher.paths.lookup(prog, env, "", nil); found != filepath.Join(b, prog) {
		t.Errorf("cache says %q after the move", found)
	}
}

// CheckProgram finds what Launch would, and says why not as Launch does
// (a restart asks it before it stops the process, REFERENCE §2.7).
func TestCheckProgram(t *testing.T) {
	var l Launcher
	env := []string{"PATH=/usr/bin:/bin"}
	if err := l.CheckProgram(Spec{Argv: []string{"sh", "-c", "true"}, Env: env}); err != nil {
		t.Fatalf("sh: %v", err)
	}
	err := l.CheckProgram(Spec{Argv: []string{"no-such-program-cfk"}, Env: env})
	if err == nil || err.Error() != "exec no-such-program-cfk: executable file not found in PATH" {
		t.Fatalf("a missing program: %v", err)
	}
	err = l.CheckProgram(Spec{Argv: []string{"/bin/sh", "-c", "x"}, Program: "no-such-program-cfk", Env: env})
	if err == nil {
		t.Fatal("a missing program behind the listen_sockets shim was found")
	}
	// a cwd the child could not enter is the start's error too
	err = l.CheckProgram(Spec{Argv: []string{"sh", "-c", "true"}, Env: env, Dir: "/no/such/dir-cfk"})
	if err == nil || err.Error() != "cwd /no/such/dir-cfk: no such file or directory" {
		t.Fatalf("a missing cwd: %v", err)
	}
	if err := l.CheckProgram(Spec{Argv: []string{"sh", "-c", "true"}, Env: env, Dir: "/"}); err != nil {
		t.Fatalf("cwd /: %v", err)
	}
}

// TestCheckProgramLooksAfresh: a program removed a moment after a start
// found it (the cache holds it for pathTTL) fails the check of a restart
// at once: the check passed it from the cache, and a restart stopped the
// service that ran for a start that failed. A Launch still uses the
// cache; after the check, the cache no longer holds the program.
func TestCheckProgramLooksAfresh(t *testing.T) {
	dir := t.TempDir()
	prog := "cfk-checkfresh-test"
	if err := os.WriteFile(filepath.Join(dir, prog), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Argv: []string{prog}, Env: append(os.Environ(), "PATH="+dir+":/usr/bin:/bin")}
	if ws := start(t, spec).wait(t); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("first start: %v", ws)
	}
	if err := launcher.CheckProgram(spec); err != nil {
		t.Fatalf("check while it is there: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, prog)); err != nil {
		t.Fatal(err)
	}
	err := launcher.CheckProgram(spec)
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("check after its removal: %v, want not found", err)
	}
	if _, cached, _ := launcher.paths.lookup(prog, spec.Env, "", nil); cached {
		t.Error("the cache still holds the program removed")
	}
}

// Spec.StderrPipe makes the child's fd 2 a pipe, blocking in the child,
// whose read end Launch hands back (Process.Stderr), in place of a
// captured stderr: the poller never reads it (a ready=exec: probe reads
// its try's stderr itself, REFERENCE §2.9).
func TestStderrPipe(t *testing.T) {
	c := capture(t, Spec{Argv: sh("echo out; echo err >&2; exec sleep 10"), StderrPipe: true})
	r := c.Stderr
	if r == nil {
		t.Fatal("no Process.Stderr")
	}
	defer r.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(r.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/2", c.Pid)); err != nil || got != fmt.Sprintf("pipe:[%d]", st.Ino) {
		t.Errorf("fd 2 is %q (%v), want the pipe pipe:[%d]", got, err, st.Ino)
	}
	info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/2", c.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			if flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err != nil || flags&syscall.O_NONBLOCK != 0 {
				t.Errorf("fd 2's flags %s (%v): want it blocking", strings.TrimSpace(v), err)
			}
		}
	}
	if got := lines(t, c.out, 1); got[0] != "out" {
		t.Errorf("stdout %q, want out", got)
	}
	// in the runtime's poller: a read takes a deadline
	if err := r.SetReadDeadline(time.Now().Add(deadline)); err != nil {
		t.Fatalf("SetReadDeadline: %v", err)
	}
	buf := make([]byte, 16)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "err\n" {
		t.Errorf("the pipe read %q, %v; want err", buf[:n], err)
	}
	select {
	case line := <-c.err:
		t.Errorf("the poller read the stderr pipe: %q", line)
	default:
	}
}
