package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/proxywire"
)

// TestProxyProtocol drives both proxies through the same protocol script.
func TestProxyProtocol(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkworkers.py"), `
import os, sys, time
LOADED = os.getpid()
def hello():
    print("hello from", os.environ["CONTROL_FREAK_SERVICE"], os.getpid() != LOADED)
    time.sleep(30)
def three():
    return 3
def boom():
    raise SystemExit(2)
`)
	write(t, filepath.Join(dir, "script.py"), `
import sys
print("script", sys.argv[1:])
sys.exit(1)
`)
	proxies := map[string][]string{
		"cfk-proxy": {buildCfkProxy(t, dir)},
		"python":    pythonProxy(t, dir, "cfkworkers"),
	}
	for _, name := range []string{"cfk-proxy", "python"} {
		argv := proxies[name]
		t.Run(name, func(t *testing.T) {
			t.Run("lifecycle", func(t *testing.T) {
				p := startProxy(t, argv)
				p.waitLog("out:-:")
				p.start(proxywire.Command{Name: "web", Cmd: "echo hi $CONTROL_FREAK_SERVICE $FOO; exec sleep 30", Env: map[string]string{"FOO": "bar"}})
				st := p.waitStatus("web", "started")
				p.waitLog("out:web:hi web bar")
				if pgid, _ := syscall.Getpgid(st.Pid); pgid != st.Pid {
					t.Errorf("service pgid %d, want its own %d", pgid, st.Pid)
				}
				p.stop("web")
				if got := p.waitStatus("web", "stopped"); got.ExitStatus != 15 || got.Pid != st.Pid {
					t.Errorf("stop: %+v, want pid %d exit_status 15", got, st.Pid)
				}
				p.start(proxywire.Command{Name: "fail", Argv: []string{"sh", "-c", "echo bad >&2; exit 1"}})
				p.waitLog("err:fail:bad")
				if got := p.waitStatus("fail", "stopped"); got.ExitStatus != 256 {
					t.Errorf("exit 1: %+v, want 256", got)
				}
				p.start(proxywire.Command{Name: "nine", Argv: []string{"sleep", "30"}})
				nine := p.waitStatus("nine", "started")
				syscall.Kill(nine.Pid, syscall.SIGKILL)
				if got := p.waitStatus("nine", "stopped"); got.ExitStatus != 9 {
					t.Errorf("kill -9: %+v, want 9", got)
				}
				// as the original Perl cfkd sent it: string booleans, nulls
				p.send(`{"command":"start","cmd":"sleep 30","name":"perl","ignore_stderr":"0","ignore_stdout":"1","env":{"A":"b"},"tie_stdin_to":null}`)
				perl := p.waitStatus("perl", "started")
				for fd, want := range map[int]string{0: "/dev/null", 1: "/dev/null", 2: "pipe:"} {
					if got, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", perl.Pid, fd)); !strings.HasPrefix(got, want) {
						t.Errorf("perl-style start: fd %d is %q, want %q", fd, got, want)
					}
				}
				p.stop("perl")
				p.waitStatus("perl", "stopped")
				p.start(proxywire.Command{Name: "missing", Argv: []string{"/nonexistent/x"}})
				miss := p.waitStatus("missing", "started")
				if got := p.waitStatus("missing", "stopped"); got.ExitStatus != 127<<8 || got.Pid != miss.Pid {
					t.Errorf("missing command: %+v, want pid %d exit_status 32512", got, miss.Pid)
				}
				p.waitLog("err:missing:")
				p.send(`{"command":"start","name":`)
				p.waitLog("err:-:parse error in command ")
				p.send(`{"command":"dance","name":"x"}`)
				p.waitLog("err:-:couldn't understand command ")
				p.start(proxywire.Command{Name: "after", Cmd: "echo still alive"})
				p.waitLog("out:after:still alive")
				p.waitStatus("after", "stopped")
			})
			t.Run("fast-exits", func(t *testing.T) {
				p := startProxy(t, argv)
				const n = 30
				for i := range n {
					p.start(proxywire.Command{Name: fmt.Sprint("f", i), Argv: []string{"true"}})
				}
				p.wait(fmt.Sprint(n, " stopped"), deadline, func(st, _ []string) bool {
					return strings.Count(strings.Join(st, "\n"), `"status":"stopped"`) == n
				})
				p.mu.Lock()
				defer p.mu.Unlock()
				seen := map[string]bool{}
				for _, l := range p.status {
					s, err := proxywire.ParseStatus([]byte(l))
					if err != nil {
						t.Fatalf("bad status %q: %v", l, err)
					}
					switch {
					case s.Status == "started" && !seen[s.Name]:
						seen[s.Name] = true
					case s.Status == "stopped" && seen[s.Name] && s.ExitStatus == 0:
					default:
						t.Errorf("out of order or failed: %q in %q", l, p.status)
					}
				}
			})
			t.Run("eof", func(t *testing.T) {
				p := startProxy(t, argv)
				p.start(proxywire.Command{Name: "a", Argv: []string{"sleep", "30"}})
				p.start(proxywire.Command{Name: "b", Cmd: "sleep 30; sleep 30"})
				a, b := p.waitStatus("a", "started"), p.waitStatus("b", "started")
				p.cmdW.Close()
				if ws := p.waitExit(); ws != 0 {
					t.Errorf("proxy exit status %d, want 0", ws)
				}
				for _, s := range []proxywire.Status{a, b} {
					if got := p.waitStatus(s.Name, "stopped"); got.ExitStatus != 15 {
						t.Errorf("%s: %+v, want 15", s.Name, got)
					}
					waitGroupGone(t, s.Name, s.Pid)
				}
			})
			t.Run("sigterm", func(t *testing.T) {
				p := startProxy(t, argv)
				p.start(proxywire.Command{Name: "stubborn", Cmd: `trap "" TERM; echo ready; sleep 30`})
				p.waitLog("out:stubborn:ready")
				s := p.waitStatus("stubborn", "started")
				launcher.Signal(p.proc, syscall.SIGTERM)
				if ws := p.waitExit(); ws != 0 {
					t.Errorf("proxy exit status %d, want 0", ws)
				}
				p.waitLog("err:-:Got signal TERM")
				if got := p.waitStatus("stubborn", "stopped"); got.ExitStatus != 9 {
					t.Errorf("SIGTERM ignored: %+v, want SIGKILL (9) after the grace", got)
				}
				waitGroupGone(t, s.Name, s.Pid)
			})
			if name != "python" {
				return
			}
			t.Run("in-process", func(t *testing.T) {
				p := startProxy(t, argv)
				p.waitLog("out:-:preloaded cfkworkers")
				p.start(proxywire.Command{Name: "py", Cmd: "cfkworkers:hello"})
				p.start(proxywire.Command{Name: "three", Argv: []string{"cfkworkers:three"}})
				p.start(proxywire.Command{Name: "boom", Cmd: "cfkworkers:boom"})
				p.start(proxywire.Command{Name: "script", Cmd: filepath.Join(dir, "script.py") + " x y"})
				p.waitLog("out:py:hello from py True")
				p.waitLog("out:script:script ['x', 'y']")
				for n, want := range map[string]int{"three": 3 << 8, "boom": 2 << 8, "script": 1 << 8} {
					if got := p.waitStatus(n, "stopped"); got.ExitStatus != want {
						t.Errorf("%s: %+v, want exit_status %d", n, got, want)
					}
				}
				py := p.waitStatus("py", "started")
				exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", py.Pid))
				if !strings.Contains(filepath.Base(exe), "python") {
					t.Errorf("callable service runs %q, want the forked interpreter", exe)
				}
				p.stop("py")
				if got := p.waitStatus("py", "stopped"); got.ExitStatus != 15 {
					t.Errorf("py: %+v, want 15", got)
				}
			})
		})
	}
}

// TestProxySharedSocketWSGI runs the WSGI example of the Python proxy's
// README: workers tied to one listening socket (passed to the proxy as
// _CFK_SOCK_web, as cfkd does), in-process under the preload proxy and
// exec'd under cfk-proxy; both serve HTTP requests on it.
func TestProxySharedSocketWSGI(t *testing.T) {
	examples, err := filepath.Abs("../proxyproc/python/examples")
	if err != nil {
		t.Fatal(err)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		argv []string
		cmd  string
	}{
		{"python", pythonProxy(t, examples, "wsgiapp"), "wsgiapp:serve"},
		{"cfk-proxy", []string{buildCfkProxy(t, dir)}, py + ` -c "import wsgiapp; wsgiapp.serve()"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
			p := startProxyFiles(t, tc.argv, []*os.File{sock}, "_CFK_SOCK_web=6", "PYTHONPATH="+examples)
			pids := map[int]bool{}
			for _, w := range []string{"w1", "w2"} {
				p.start(proxywire.Command{Name: w, Cmd: tc.cmd, TieStdinTo: "web"})
				p.waitLog("out:" + w + ":serving on ")
				pids[p.waitStatus(w, "started").Pid] = true
			}
			client := &http.Client{Timeout: deadline}
			for range 4 {
				resp, err := client.Get("http://" + ln.Addr().String() + "/")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var pid int
				if _, err := fmt.Sscanf(string(body), "hello from cfk worker %d", &pid); err != nil || !pids[pid] {
					t.Fatalf("response %q: not from a worker %v", body, pids)
				}
			}
		})
	}
}

func TestPythonProxyPreloadFailure(t *testing.T) {
	p := startProxy(t, pythonProxy(t, t.TempDir(), "no_such_module_here"))
	p.waitLog("err:-:cannot preload no_such_module_here: ModuleNotFoundError")
	if ws := p.waitExit(); ws.ExitStatus() != 1 {
		t.Errorf("proxy exit status %d, want exit 1", ws)
	}
}

// The Python proxy blocked SIGCHLD, SIGTERM, SIGINT and SIGHUP across its
// fork, from before it made the pipe that tells it the child is set up:
// when that pipe failed (EMFILE: a proxy of many services at its fd
// limit, one ignoring its output needing no other pipe), the start was
// answered (stopped, pid 0) and the signals stayed blocked until its next
// start: the exits of the other services were not noticed (they stayed
// running in cfkd) and cfkd's SIGTERM was held. The failure now leaves
// the mask as it was.
func TestPythonProxySyncPipeFailureKeepsSignals(t *testing.T) {
	dir := t.TempDir()
	// both services run in the proxy's interpreter, forked: an exec'd
	// one is spawned, with no pipe of its own when its output is ignored
	write(t, filepath.Join(dir, "cfkfailpipe.py"), `import errno, os, time
_pipe, _calls = os.pipe, [0]
def pipe():
    _calls[0] += 1
    if _calls[0] == 2:
        raise OSError(errno.EMFILE, "Too many open files")
    return _pipe()
os.pipe = pipe
def nap():
    time.sleep(0.5)
def idle():
    time.sleep(100)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkfailpipe"))
	has := func(part string) func(status, _ []string) bool {
		return func(status, _ []string) bool {
			for _, l := range status {
				if strings.Contains(l, part) {
					return true
				}
			}
			return false
		}
	}
	quiet := proxywire.Command{IgnoreStdout: true, IgnoreStderr: true}
	c := quiet
	c.Name, c.Cmd = "s1", "cfkfailpipe:nap"
	p.start(c)
	p.wait("s1 started", deadline, has(`{"status":"started","name":"s1"`))
	c = quiet
	c.Name, c.Cmd = "s2", "cfkfailpipe:idle"
	p.start(c)
	p.wait("s2 answered", deadline, has(`"name":"s2","pid":0`))            // a line waitStatus refuses
	p.wait("s1 stopped", deadline, has(`{"status":"stopped","name":"s1"`)) // its SIGCHLD wakes the proxy
	launcher.Signal(p.proc, syscall.SIGTERM)
	p.waitLog("err:-:Got signal TERM")
	p.waitExit()
}

// The Python proxy's stop sent SIGTERM alone: a service stopped by
// SIGSTOP (or a job-control stop) held it pending and ran on, and cfkd
// had to SIGKILL it after stopwait_secs (`fail`, not `stopped`). It sends
// SIGCONT after it now, as cfk-proxy and cfkd do (REFERENCE §2.2, §4.6).
func TestPythonProxyStopContinuesAStoppedService(t *testing.T) {
	p := startProxy(t, pythonProxy(t, t.TempDir(), "json"))
	p.start(proxywire.Command{Name: "s", Cmd: "sleep 100", IgnoreStdout: true, IgnoreStderr: true})
	st := p.waitStatus("s", proxywire.StatusStarted)
	if err := syscall.Kill(st.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	p.stop("s")
	if got := p.waitStatus("s", proxywire.StatusStopped); syscall.WaitStatus(got.ExitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("s ended with status %d, want SIGTERM", got.ExitStatus)
	}
}
