package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/cfk/cfk/internal/testkit"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// The fault-injection part of the reliability suite: one test per fault.
// In each, cfkd keeps running (or restarts cleanly), says what happened (a
// line in cfkd.log, on its stderr, or a reply), and leaves no process
// behind: each test checks it itself, with a deadline (noneLeft), before
// the cleanup's killHome would.

// startDaemonStderr is startDaemon on home with cfkd's stderr readable
// while it runs.
func startDaemonStderr(t *testing.T, home string, args ...string) (*daemon, *testkit.Buffer) {
	t.Helper()
	errb := &testkit.Buffer{}
	cmd := exec.Command(cfkdBin, append([]string{"--home", home}, args...)...)
	return runDaemonCmd(t, home, cmd, errb).acceptsOnHome(), errb
}

// waitFor waits for cond with the suite's deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func readLog(home string) string {
	b, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
	return string(b)
}

// waitLog waits until cfkd.log holds want and returns the log.
func waitLog(t *testing.T, home, want string) string {
	t.Helper()
	var log string
	end := time.Now().Add(deadline)
	for {
		if log = readLog(home); strings.Contains(log, want) {
			return log
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd.log never said %q:\n%s", want, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noneLeft waits until no process of home is alive but those in keep (a
// running cfkd), and fails the test naming them if some still are.
func noneLeft(t *testing.T, home string, keep ...int) {
	t.Helper()
	left := func() (pids []int) {
	next:
		for _, p := range homeProcs(home) {
			for _, k := range keep {
				if p == k {
					continue next
				}
			}
			pids = append(pids, p)
		}
		return pids
	}
	end := time.Now().Add(deadline)
	for len(left()) > 0 {
		if time.Now().After(end) {
			var desc []string
			for _, p := range left() {
				cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cmdline")
				desc = append(desc, fmt.Sprintf("%d %q", p, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
			}
			t.Fatalf("processes of the test's home left behind: %v", desc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procsOf lists the live processes of home whose CONTROL_FREAK_SERVICE is
// svc and whose parent is ppid (0: any parent).
func procsOf(home, svc string, ppid int) (pids []int) {
	for _, pid := range homeProcs(home) {
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if !strings.Contains("\x00"+string(env), "\x00CONTROL_FREAK_SERVICE="+svc+"\x00") {
			continue
		}
		if ppid != 0 && parentOfPid(pid) != ppid {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// sleepsOf counts the sleep(1) processes of service svc of home.
func sleepsOf(home, svc string) (n int) {
	for _, pid := range procsOf(home, svc, 0) {
		if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); string(comm) == "sleep\n" {
			n++
		}
	}
	return n
}

func parentOfPid(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestFaultTermIgnoringService: a service that ignores SIGTERM is killed
// with SIGKILL once stopwait has passed, and ends in `fail` with
// `Received signal 9` (REFERENCE §2.2); nothing of it is left.
func TestFaultTermIgnoringService(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service stubborn cmd=trap "" TERM; sleep 1000`,
		"service stubborn stopwait_secs=0.3", "service stubborn startwait_secs=0.2",
		"command start service stubborn")
	c.until("stubborn running", func() bool { return c.status("stubborn")[1] == "running" })
	if l := c.ok("command stop service stubborn"); len(l) != 1 || l[0] != "done 1" {
		t.Fatalf("stop: %q", l)
	}
	c.until("stubborn failed", func() bool { return c.status("stubborn")[1] == "fail" })
	if st := c.status("stubborn"); st[6] != "Received signal 9" || st[2] != "" {
		t.Fatalf("status %q, want fail with Received signal 9", st)
	}
	waitLog(t, d.home, "Stopping service stubborn")
	noneLeft(t, d.home, d.cmd.Process.Pid)
	c.ok("command status")
}

// TestFaultDaemonisingGrandchildren: grandchildren that daemonise (setsid,
// double fork) are adopted by cfkd, a child subreaper. Stopping their
// service kills those carrying its name once its process has exited;
// those of a service that exited on its own live on until `command
// shutdown`, whose sweep kills every orphan cfkd adopted.
func TestFaultDaemonisingGrandchildren(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	c := d.dial()
	cfkd := d.cmd.Process.Pid
	c.ok(
		// exits at once, leaving a daemon: a "forking" service
		`service forker cmd=setsid sleep 1001 & exit 0`,
		// stays up, with a daemon in a session of its own beside it
		`service sider cmd=setsid sleep 1002 & sleep 1000`, "service sider startwait_secs=0.2",
	)
	c.ok("command start service forker", "command start service sider")
	_, noPy := exec.LookPath("python3")
	if noPy == nil {
		c.ok(`service py cmd=["python3", "-c", "import os, time\nif os.fork() == 0:\n  os.setsid()\n  if os.fork(): os._exit(0)\n  time.sleep(1003)\n  os._exit(0)\ntime.sleep(1000)"]`,
			"service py startwait_secs=0.2", "command start service py")
	}
	c.until("forker stopped", func() bool { return c.status("forker")[1] == "stopped" })
	var forkerOrphan []int
	waitFor(t, "the daemons adopted by cfkd", func() bool {
		forkerOrphan = procsOf(d.home, "forker", cfkd)
		// sider's daemon once it is `sleep 1002`: setsid has made its
		// session by then (before, the stop's SIGTERM to sider's group
		// ends it, and no orphan is left: a run under load failed so)
		detached := false
		for _, pid := range procsOf(d.home, "sider", 0) {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			detached = detached || string(b) == "sleep\x001002\x00"
		}
		return len(forkerOrphan) == 1 && detached && len(procsOf(d.home, "sider", 0)) == 3 && c.status("sider")[1] == "running"
	})

	c.ok("command stop service sider")
	c.until("sider stopped", func() bool { return c.status("sider")[1] == "stopped" })
	// its daemon was its child (not adopted) until sider's shell exited
	log := waitLog(t, d.home, ") left by service sider")
	if !strings.Contains(log, "(sleep) left by service sider") {
		t.Fatalf("orphan of sider not named as such:\n%s", log)
	}
	c.until("sider's daemon gone", func() bool { return len(procsOf(d.home, "sider", 0)) == 0 })

	if noPy == nil {
		var pyOrphan []int
		c.until("py running with its daemon adopted", func() bool {
			st := c.status("py")
			pyOrphan = pyOrphan[:0]
			for _, p := range procsOf(d.home, "py", cfkd) {
				if strconv.Itoa(p) != st[2] { // not py itself
					pyOrphan = append(pyOrphan, p)
				}
			}
			return len(pyOrphan) == 1 && st[1] == "running"
		})
		c.ok("command down service py")
		waitLog(t, d.home, fmt.Sprintf("killing orphan pid %d (python3) left by service py", pyOrphan[0]))
		c.until("py's daemon gone", func() bool { return !alive(pyOrphan[0]) })
	}

	// a service that exited on its own keeps its daemon...
	if !alive(forkerOrphan[0]) {
		t.Fatalf("the daemon of forker (pid %d) was killed while forker was not stopped", forkerOrphan[0])
	}
	// ...until the shutdown
	if l := c.ok("command shutdown"); len(l) != 1 {
		t.Fatalf("shutdown %q", l)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v\n%s", err, d.stderr.String())
	}
	waitLog(t, d.home, fmt.Sprintf("killing orphan pid %d (sleep) left by service forker", forkerOrphan[0]))
	noneLeft(t, d.home)
}

// TestFaultProxyKilled: a proxy killed with SIGKILL fails its services
// (status shows `NAME!`); the process it had forked for each and reported
// is killed by cfkd (through the handle it holds on it: REFERENCE §4.5),
// not left to run unsupervised until the shutdown's sweep; without
// pidfds it is, and the sweep ends it.
func TestFaultProxyKilled(t *testing.T) {
	proxy := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	cfkd := d.cmd.Process.Pid
	c.ok("proxy q cmd="+proxy, "proxy q noauto=1",
		"proxy q service n cmd=sleep 1000", "service n startwait_secs=0.2")
	c.ok("command proxyup q", "command start service n")
	c.until("n running", func() bool { return c.status("n")[1] == "running" })
	_, ppid := c.proxyStatus("q")
	pid, _ := strconv.Atoi(c.status("n")[2])
	if err := syscall.Kill(ppid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.until("n failed", func() bool { return c.status("n")[1] == "fail" })
	if st := c.status("n"); st[5] != "q!" || st[2] != "" {
		t.Fatalf("status %q", st)
	}
	if osproc.Pidfds {
		c.until("the proxy's service process killed", func() bool { return !alive(pid) })
	} else {
		// no handle on a pid a proxy forked (macOS, FreeBSD, -tags
		// cfkportable: REFERENCE §11): it is never signalled; orphaned, it
		// is cfkd's child (its subreaper), and the shutdown's sweep ends it
		c.until("the proxy's service adopted by cfkd", func() bool { return parentOfPid(pid) == cfkd })
	}
	if l := c.ok("command shutdown"); len(l) != 1 {
		t.Fatalf("shutdown %q", l)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v\n%s", err, d.stderr.String())
	}
	if !osproc.Pidfds {
		waitLog(t, d.home, fmt.Sprintf("killing orphan pid %d (sleep) left by service n", pid))
	}
	noneLeft(t, d.home)
}

// chattyCmd prints "tick N" on stdout and "tock N" on stderr every 20 ms.
const chattyCmd = `service chatty cmd=i=0; while :; do echo tick $i; echo tock $i >&2; i=$((i+1)); sleep 0.02; done`

// newHome makes a home with its log.config.
func newHome(t *testing.T, logConfig string) string {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "log.config"), []byte(logConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

// TestFaultLogDirRemoved: the directory of a service's log file is removed.
// Writes go on into the unlinked file; a USR1 reopen fails and is
// reported (on stderr and in cfkd.log) while the old destinations stay;
// once the directory is back, the next USR1 recovers. cfkd supervises
// throughout.
func TestFaultLogDirRemoved(t *testing.T) {
	home := newHome(t, "cfkd = file:cfkd.log\nservice.chatty.out = file:logs/chatty.log\n")
	logs := filepath.Join(home, "logs")
	os.Mkdir(logs, 0o700)
	d, errb := startDaemonStderr(t, home)
	c := d.dial()
	c.ok(chattyCmd, "service chatty startwait_secs=0.1", "command start service chatty")
	chatty := filepath.Join(logs, "chatty.log")
	has := func(path, s string) bool { b, _ := os.ReadFile(path); return strings.Contains(string(b), s) }
	waitFor(t, "ticks in logs/chatty.log", func() bool { return has(chatty, "tick 3") })

	if err := os.RemoveAll(logs); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	want := "log destination file:logs/chatty.log: open " + chatty + ": no such file or directory"
	waitFor(t, "the failed reopen on stderr", func() bool { return strings.Contains(errb.String(), want) })
	waitLog(t, home, "log config not reloaded: keeping the old one")
	// supervision goes on (startwait may not have passed yet: wait for it)
	c.until("chatty running", func() bool { return c.status("chatty")[1] == "running" })
	// cfkd's own log still works, and supervision goes on
	c.ok("command stop service chatty")
	c.until("chatty stopped", func() bool { return c.status("chatty")[1] == "stopped" })
	c.ok("command start service chatty")

	if err := os.Mkdir(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "ticks in the new logs/chatty.log", func() bool { return has(chatty, "tick ") })
	if n := strings.Count(errb.String(), want); n != 1 {
		t.Fatalf("the failure was reported %d times, want once:\n%s", n, errb.String())
	}
	c.ok("command stop service chatty")
	noneLeft(t, home, d.cmd.Process.Pid)
}

// TestFaultLogDestinationBroken: a service's output goes to a FIFO whose
// reader goes away, so every write fails (EPIPE). cfkd reports it once on
// stderr (not once per line), keeps supervising and logging elsewhere, and
// says so when the destination is writable again (a new reader).
func TestFaultLogDestinationBroken(t *testing.T) {
	home := newHome(t, "cfkd = file:cfkd.log\nservice.chatty.out = file:pipe\n")
	fifo := filepath.Join(home, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// reader opens a reader on the FIFO and sends what it reads to lines
	// until it is closed.
	reader := func() (*os.File, chan string) {
		f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		// a writer of the test's own: without one the reader reads EOF
		// before cfkd opens the FIFO, and the reader is there until
		// closed, whatever cfkd does.
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		lines := make(chan string, 1024)
		go func() {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				select {
				case lines <- sc.Text():
				default:
				}
			}
		}()
		return f, lines
	}
	r, lines := reader()
	defer func() { r.Close() }()
	d, errb := startDaemonStderr(t, home)
	c := d.dial()
	c.ok(chattyCmd, "service chatty startwait_secs=0.1", "command start service chatty")
	waitLine := func(what string) {
		t.Helper()
		select {
		case l := <-lines:
			if !strings.Contains(l, "tick ") {
				t.Fatalf("read %q from the FIFO", l)
			}
		case <-time.After(deadline):
			t.Fatalf("nothing read from the FIFO %s", what)
		}
	}
	waitLine("at first")

	r.Close() // the reader goes away: cfkd's writes fail with EPIPE
	broken := "cfkd: log destination file:" + fifo + ": write " + fifo + ": broken pipe"
	waitFor(t, "the broken destination reported", func() bool { return strings.Contains(errb.String(), broken) })
	// many more lines fail meanwhile: stderr (tock) reaches cfkd.log
	last := strings.Count(readLog(home), "service.chatty.err")
	waitFor(t, "20 more lines logged", func() bool { return strings.Count(readLog(home), "service.chatty.err") >= last+20 })
	if n := strings.Count(errb.String(), broken); n != 1 {
		t.Fatalf("reported %d times, want once:\n%s", n, errb.String())
	}
	c.until("chatty running", func() bool { return c.status("chatty")[1] == "running" })

	r, lines = reader() // writable again
	waitLine("after a new reader came")
	waitFor(t, "the recovery reported", func() bool {
		return strings.Contains(errb.String(), "cfkd: log destination file:"+fifo+": writable again (")
	})
	c.ok("command stop service chatty")
	c.until("chatty stopped", func() bool { return c.status("chatty")[1] == "stopped" })
	noneLeft(t, home, d.cmd.Process.Pid)
}

// TestFaultClientDisconnects: clients that go away mid-request (half a
// line, a request whose reply is never read, a flood of pipelined
// requests, a long line ended by a TCP reset) do not disturb cfkd: it
// serves another client throughout, logs each console's end, and its fd
// count comes back to where it was.
func TestFaultClientDisconnects(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := startDaemonTCP(t, addr, addr, "--insecure-tcp")
	c := d.dialTCP(addr)
	c.ok("service a cmd=sleep 1000", "service b cmd=sleep 1000")
	pid := d.cmd.Process.Pid
	base := fdCount(t, pid)

	var peers []string
	dial := func() *net.TCPConn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		peers = append(peers, "Console exiting (tcp:"+conn.LocalAddr().String()+")")
		return conn.(*net.TCPConn)
	}
	faults := map[string]func(*net.TCPConn){
		"half a line": func(conn *net.TCPConn) {
			conn.Write([]byte("command sta"))
			conn.Close()
		},
		"reply not read": func(conn *net.TCPConn) {
			conn.Write([]byte("command status\r\n"))
			conn.Close()
		},
		"pipelined flood": func(conn *net.TCPConn) {
			conn.Write(bytes.Repeat([]byte("command status\r\n"), 2000))
			conn.Close()
		},
		"long line and RST": func(conn *net.TCPConn) {
			conn.Write(bytes.Repeat([]byte("x"), 200<<10))
			conn.SetLinger(0)
			conn.Close()
		},
		"request then RST": func(conn *net.TCPConn) {
			conn.Write([]byte("command status\r\n"))
			conn.SetLinger(0)
			conn.Close()
		},
	}
	for name, fault := range faults {
		fault(dial())
		if l := c.ok("command list"); len(l) != 2 {
			t.Fatalf("after %s: list %q", name, l)
		}
	}
	for _, p := range peers {
		waitLog(t, d.home, p)
	}
	end := time.Now().Add(deadline)
	for n := fdCount(t, pid); n != base; n = fdCount(t, pid) {
		if time.Now().After(end) {
			t.Fatalf("cfkd has %d fds, %d before the faults", n, base)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.ok("command status")
}

// TestFaultGarbageConfig: config files with garbage lines. `cfkd -c FILE`
// refuses to start, naming FILE:LINE and the reason, exits non-zero and
// leaves nothing running (it had started a service from the lines before);
// `cfkctl load FILE` stops at the first bad line, and cfkd keeps what was
// loaded before it.
func TestFaultGarbageConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := []struct{ name, line, reason string }{
		{"binary", "\x00\x01\xfe\xff junk", `unknown command '\x00\x01\xfe\xff'`},
		{"long", strings.Repeat("service a desc=x", 10000), "line too long (max 65536 bytes)"},
		{"unknown", "frobnicate all", "unknown command 'frobnicate'"},
		{"half service", "service a cmd", "malformed service command 'a cmd'"},
		{"bare service", "service", "empty service command"},
		{"half command", "command", "empty command"},
	}
	for _, g := range garbage {
		t.Run(g.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(g.name, " ", "-")+".conf")
			body := "# a config with garbage on line 4\nservice a cmd=sleep 1000\ncommand start service a\n" +
				g.line + "\nservice c cmd=sleep 1000\n"
			os.WriteFile(file, []byte(body), 0o600)

			home := filepath.Join(t.TempDir(), "home")
			cmd := exec.Command(cfkdBin, "--home", home, "-c", file)
			cmd.Env = childEnv("CFKD_HOME=" + home)
			out, err := cmd.CombinedOutput()
			t.Cleanup(func() { killHome(home) })
			want := file + ":4: " + g.reason
			if err == nil || !strings.Contains(string(out), want) {
				t.Fatalf("cfkd -c: %v %q, want an error with %q", err, out, want)
			}
			noneLeft(t, home)

			d := startDaemon(t, "")
			c := d.dial()
			c.ok("service before cmd=sleep 1000")
			stdout, stderr, code := d.ctl("", "load", file)
			if code == 0 || !strings.Contains(stderr, ":4: ") {
				t.Fatalf("cfkctl load: exit %d, %q %q", code, stdout, stderr)
			}
			if g.name != "binary" && !strings.Contains(stderr, want) { // cfkctl prints cfkd's reply as it is
				t.Fatalf("cfkctl load: %q, want %q", stderr, want)
			}
			if l := strings.Join(c.ok("command list"), " "); l != "a before" {
				t.Fatalf("services after a failed load: %q, want a before", l)
			}
			c.until("a started by the load", func() bool { return c.status("a")[1] == "running" })
			c.ok("command stop service a")
			noneLeft(t, d.home, d.cmd.Process.Pid)
		})
	}
}

// TestFaultCfkdKilled: cfkd killed with SIGKILL leaves its services (one
// ignores SIGTERM, one has a daemon) and a proxy running. A new cfkd on the same home takes the stale lock over and
// kills them all before it serves, logging each and the count. (Without
// pidfds, it logs that it does not look for them: REFERENCE §7.5, §11.)
func TestFaultCfkdKilled(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service plain cmd=sleep 1000",
		"service group cmd=sleep 1000; true",
		`service stubborn cmd=trap "" TERM; sleep 1000`,
		"service daemonised cmd=setsid sleep 1001 & sleep 1000",
		"command start all")
	// a proxy that does nothing: cfk-proxy would exit (stopping its
	// services) when cfkd's end closes its command pipe
	c.ok("proxy p cmd=sleep 1000", "command proxyup p")
	c.until("every service has a pid", func() bool {
		for _, l := range c.ok("command status") {
			if f := strings.Split(l, "\t"); f[2] == "" {
				return false
			}
		}
		return true
	})
	// every process of the test forked before cfkd is killed: the portable
	// build's leftovers are the ones seen then, and a fork under way at the
	// kill (the proxy's, a shell's sleep) would come after them
	c.until("p up", func() bool { st, pid := c.proxyStatus("p"); return st == "up" && pid != 0 })
	for svc, n := range map[string]int{"plain": 1, "group": 1, "stubborn": 1, "daemonised": 2} {
		waitFor(t, fmt.Sprintf("%d sleep of %s running", n, svc), func() bool { return sleepsOf(d.home, svc) == n })
	}
	old := d.cmd.Process.Pid
	d.cmd.Process.Kill()
	d.waitExit()
	before := homeProcs(d.home)
	if len(before) < 6 {
		t.Fatalf("only %d processes left by the killed cfkd: %v", len(before), before)
	}

	d2 := startDaemon(t, d.home)
	waitLog(t, d.home, "took over the lock of pid "+strconv.Itoa(old))
	if !osproc.Pidfds {
		// the portable build, as macOS and FreeBSD (REFERENCE §11): the
		// leftovers are not looked for, and live on until the test ends them
		waitLog(t, d.home, "processes left by a previous cfkd are not looked for on this system")
		for _, p := range before {
			if err := syscall.Kill(p, 0); err != nil {
				t.Errorf("pid %d left by the killed cfkd was signalled: %v", p, err)
			}
			syscall.Kill(p, syscall.SIGKILL) // not cfkd's children: no pid reused yet
		}
		return
	}
	// cfkd's log is written behind a queue: wait for each line
	waitLog(t, d.home, fmt.Sprintf("processes left by a previous cfkd (pid %d) on this home", old))
	for _, p := range before {
		waitLog(t, d.home, fmt.Sprintf("killing pid %d (", p))
	}
	waitLog(t, d.home, "(sleep) of proxy, left by")
	noneLeft(t, d.home, d2.cmd.Process.Pid)
	c2 := d2.dial()
	if l := c2.ok("command list"); len(l) != 0 {
		t.Fatalf("new cfkd has services %q", l)
	}
}
