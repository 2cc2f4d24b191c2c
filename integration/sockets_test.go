package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// socketPort returns the port (or path) of socket name in `command
// sockets`.
func (h *harness) socketPort(name string) string {
	h.t.Helper()
	for _, l := range h.ok("command sockets") {
		if f := strings.Split(l, "\t"); f[0] == name && f[3] == "bound" {
			return f[2]
		}
	}
	h.t.Fatalf("socket %s is not bound", name)
	return ""
}

// helperCmd is the cmd of a service running this test binary as helper
// mode with args.
func helperCmd(t *testing.T, args ...string) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	q := []string{strconv.Quote(exe)}
	for _, a := range args {
		q = append(q, strconv.Quote(a))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// shortDir is a fresh directory with a path short enough for UNIX sockets.
func shortDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "cfk-i-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// openFds maps each fd of pid to what it points at.
func openFds(t *testing.T, pid int) map[int]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		out[fd], _ = os.Readlink(filepath.Join(dir, e.Name()))
	}
	return out
}

// nonblocking reports whether fd of pid has O_NONBLOCK, as the process
// sees it.
func nonblocking(t *testing.T, pid, fd int) bool {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			if err != nil {
				t.Fatal(err)
			}
			return flags&0o4000 != 0 // O_NONBLOCK
		}
	}
	t.Fatalf("no flags in fdinfo of %d/%d", pid, fd)
	return false
}

// The fds each child really gets: the tied socket as fd 0 in the mode
// declared, fds 3, 4 for listen_sockets, and nothing at all for a service
// that did not ask (no listening fd of cfkd leaks).
func TestSocketFdsInChildren(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(shortDir(t), "nb.sock")
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web",
		"socket nb host=unix/", "socket nb service="+path, "socket nb nonblocking=1", "command bind nb")
	svcs := map[string]string{"plain": "", "tied": "tie_stdin_to=web", "nbtied": "tie_stdin_to=nb", "act": "listen_sockets=web,nb"}
	for name, attr := range svcs {
		h.ok("service "+name+" cmd=sleep 100", "service "+name+" startwait_secs=0.1")
		if attr != "" {
			h.ok("service " + name + " " + attr)
		}
	}
	h.ok("command start all")
	pids := map[string]int{}
	for name := range svcs {
		pids[name] = h.expectSeq(name, Starting, Running)[0].Pid
	}
	// act runs through the LISTEN_PID shim: wait for its exec of sleep
	act := pids["act"]
	h.poll("the shim exec'ing sleep", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", act))
		return string(b) == "sleep\x00100\x00"
	})
	fds := map[string]map[int]string{}
	for name, pid := range pids {
		fds[name] = openFds(t, pid)
	}
	isSocket := func(s string) bool { return strings.HasPrefix(s, "socket:") }
	if f := fds["plain"]; len(f) != 3 || f[0] != "/dev/null" || isSocket(f[1]) || isSocket(f[2]) {
		t.Errorf("plain service fds %v: want /dev/null and the two output pipes only", f)
	}
	web, nb := fds["tied"][0], fds["nbtied"][0]
	if !isSocket(web) || !isSocket(nb) || web == nb || len(fds["tied"]) != 3 || len(fds["nbtied"]) != 3 {
		t.Errorf("tied fds %v, nbtied fds %v", fds["tied"], fds["nbtied"])
	}
	if f := fds["act"]; len(f) != 5 || f[0] != "/dev/null" || f[3] != web || f[4] != nb {
		t.Errorf("act fds %v, want 0 /dev/null, 3 %s, 4 %s", f, web, nb)
	}
	if nonblocking(t, pids["tied"], 0) || !nonblocking(t, pids["nbtied"], 0) {
		t.Errorf("O_NONBLOCK: tied %v (want off), nbtied %v (want on)",
			nonblocking(t, pids["tied"], 0), nonblocking(t, pids["nbtied"], 0))
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", act))
	for _, want := range []string{"LISTEN_PID=" + strconv.Itoa(act), "LISTEN_FDS=2", "LISTEN_FDNAMES=web:nb"} {
		if !strings.Contains("\x00"+string(env)+"\x00", "\x00"+want+"\x00") {
			t.Errorf("act's environment lacks %s", want)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o660 {
		t.Errorf("UNIX socket mode %v %v", st.Mode(), err)
	}
	if st := h.status("act"); st[7] != "sleep 100" {
		t.Errorf("running_cmd %q", st[7])
	}
	h.fails("command unbind web", "socket 'web' is in use by act,tied")
	h.ok("command stop all")
	for name := range svcs {
		h.expect(name, Stopped)
	}
	h.ok("command unbind nb", "command unbind web")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("UNIX socket file left after unbind: %v", err)
	}
}

// Socket activation, checked by a real consumer: go-systemd's activation
// package gives the listeners only when LISTEN_PID is its own pid.
func TestSocketActivation(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(shortDir(t), "adm.sock")
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web",
		"socket adm host=unix/", "socket adm service="+path, "command bind adm",
		"service act cmd="+helperCmd(t), "service act add_env="+helperEnv+"=activated",
		"service act listen_sockets=web,adm", "service act startwait_secs=0.1", "command start service act")
	pid := h.expectSeq("act", Starting)[0].Pid
	e := h.expectLine("the consumer's first line", func(e *logrus.Entry) bool { return e.Data["service"] == "act" })
	if want := fmt.Sprintf(`activated pid=%d listeners=adm,web env-left=""`, pid); e.Message != want {
		t.Fatalf("consumer says %q, want %q", e.Message, want)
	}
	get := func(c *http.Client, url string) string {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got, want := get(http.DefaultClient, "http://127.0.0.1:"+h.socketPort("web")+"/"), fmt.Sprintf("pid %d via web", pid); got != want {
		t.Errorf("over web: %q, want %q", got, want)
	}
	overUnix := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	if got, want := get(overUnix, "http://adm/"), fmt.Sprintf("pid %d via adm", pid); got != want {
		t.Errorf("over adm: %q, want %q", got, want)
	}
	h.ok("command stop service act")
	h.expect("act", Stopped) // a clean exit on SIGTERM
}

// The reference scenario of the original (REFERENCE §3), in process: s1
// accepts 3 connections, s2 2; of six connections, five are served and
// the sixth waits in the backlog for the next worker, which gets it.
func TestSharedSocketReference(t *testing.T) {
	h := newHarness(t)
	h.ok("socket ref host=127.0.0.1", "socket ref service=0", "command bind ref")
	port := h.socketPort("ref")
	for name, quota := range map[string]string{"s1": "3", "s2": "2"} {
		h.ok("service "+name+" cmd="+helperCmd(t, name, quota), "service "+name+" add_env="+helperEnv+"=sockcat",
			"service "+name+" tie_stdin_to=ref", "service "+name+" startwait_secs=0.1")
	}
	h.ok("command start service s1", "command start service s2")
	for i := 1; i <= 6; i++ {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		fmt.Fprintf(c, "iter%d\n", i)
		c.Close()
	}
	h.expect("s1", Stopped) // quota reached: a clean exit
	h.expect("s2", Stopped)
	lines := func() map[string]int {
		n := map[string]int{}
		for _, e := range h.out.AllEntries() {
			if svc, _ := e.Data["service"].(string); strings.HasPrefix(e.Message, svc+" iter") {
				n[svc]++
			}
		}
		return n
	}
	if got := lines(); got["s1"] != 3 || got["s2"] != 2 {
		t.Fatalf("lines per worker %v, want s1:3 s2:2", got)
	}
	// the sixth connection is still pending: a new worker gets it
	h.ok("service s1 cmd="+helperCmd(t, "s1", "1"), "command start service s1")
	h.expect("s1", Stopped)
	if got := lines(); got["s1"] != 4 || got["s2"] != 2 {
		t.Fatalf("lines per worker %v, want s1:4 s2:2", got)
	}
}

// A command that cannot be exec'd is the start's error, `failed to start`,
// with listen_sockets too (REFERENCE §2.1). The LISTEN_PID shim (§2.6)
// was the program exec'd: the start was answered OK and the service was
// started again and again, each run the shim's `exit 127`, until fatal,
// the reason (`not found`) only in the service's own output.
func TestExecFailureWithListenSocketsIsTheStartsError(t *testing.T) {
	h := newHarness(t)
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web")
	for name, cmd := range map[string]string{"abs": "/no/such/program", "path": "no-such-program-here"} {
		h.ok("service "+name+" cmd="+cmd, "service "+name+" listen_sockets=web", "service "+name+" respawn_max_retries=2")
		r := h.exec("command start service " + name)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "Service '"+name+"' failed to start: exec "+cmd+": ") {
			t.Fatalf("start of %s (cmd=%s): reply %v / %q, want `failed to start: exec %s: ...`", name, cmd, r.Err, r.Lines, cmd)
		}
		h.expectSeq(name, Backoff, Fatal) // it never started: no `starting`
	}
}
