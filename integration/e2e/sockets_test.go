package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// needPython returns the path of python3, which the socket workers of
// these tests are written in, or skips the test.
func needPython(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the socket workers of this test need it")
	}
	return p
}

// socketPort returns the port (or path) `command sockets` gives for a
// bound socket.
func (c *client) socketPort(name string) string {
	c.t.Helper()
	for _, l := range c.ok("command sockets") {
		if f := strings.Split(l, "\t"); len(f) == 5 && f[0] == name && f[3] == "bound" {
			return f[2]
		}
	}
	c.t.Fatalf("socket %s is not bound", name)
	return ""
}

var sockcatLine = regexp.MustCompile(`(?m) INFO service\.(s[12])\.out - (s[12]) (iter\d)$`)

// served reads cfkd.log and counts the lines the sockcat workers printed,
// by worker (checking each is logged under its own service).
func (d *daemon) served() map[string]int {
	d.t.Helper()
	b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
	n := map[string]int{}
	for _, m := range sockcatLine.FindAllStringSubmatch(string(b), -1) {
		if m[1] != m[2] {
			d.t.Fatalf("line of %s logged under service %s", m[2], m[1])
		}
		n[m[1]]++
	}
	return n
}

// TestSharedSocketReferenceScenario is the original's reference test
// (REFERENCE §3) through cfkd and its admin socket: a socket on 127.0.0.1 port 0; s1
// accepts 3 connections and s2 2, each printing `NAME LINE` per line;
// six connections each send one line: the log holds exactly five such
// lines, three from s1 and two from s2, and the sixth connection waits in
// the backlog.
func TestSharedSocketReferenceScenario(t *testing.T) {
	t.Parallel()
	python := needPython(t)
	sockcat, err := filepath.Abs("testdata/sockcat.py")
	if err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("socket ref host=127.0.0.1", "socket ref service=0", "command bind ref")
	port := c.socketPort("ref")
	if port == "0" {
		t.Fatal("port 0 not resolved")
	}
	for name, quota := range map[string]string{"s1": "3", "s2": "2"} {
		c.ok(fmt.Sprintf("service %s cmd=%s %s %s %s", name, python, sockcat, name, quota),
			"service "+name+" tie_stdin_to=ref", "service "+name+" startwait_secs=0.2")
	}
	if l := c.ok("command sockets"); len(l) != 1 || l[0] != "ref\t127.0.0.1\t"+port+"\tbound\ts1,s2" {
		t.Fatalf("sockets %q", l)
	}
	c.ok("command start service s1", "command start service s2")
	for i := 1; i <= 6; i++ {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		fmt.Fprintf(conn, "iter%d\n", i)
		conn.Close()
	}
	c.until("five lines in cfkd.log", func() bool { n := d.served(); return n["s1"]+n["s2"] == 5 })
	c.until("both workers done", func() bool { return c.status("s1")[1] == "stopped" && c.status("s2")[1] == "stopped" })
	if n := d.served(); n["s1"] != 3 || n["s2"] != 2 {
		t.Fatalf("lines per worker %v, want s1:3 s2:2", n)
	}
	// the sixth connection was not dropped: the next worker serves it
	c.ok(fmt.Sprintf("service s1 cmd=%s %s s1 1", python, sockcat), "command start service s1")
	c.until("the sixth line", func() bool { n := d.served(); return n["s1"] == 4 && n["s2"] == 2 })
}

// TestSocketsWithCfkctl: bind, sockets (human and --json), unbind through
// cfkctl; errors as cfkd words them; a UNIX socket's file removed at
// shutdown.
func TestSocketsWithCfkctl(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	path := filepath.Join(d.home, "web.sock")
	d.ctlOK("socket web host=unix/\nsocket web service="+path+"\nsocket tcp host=127.0.0.1\nsocket tcp service=0\n"+
		"service w cmd=sleep 100\nservice w tie_stdin_to=web\n", "load", "-")
	_, errs, code := d.ctl("", "start", "w")
	if code != 1 || strings.TrimSpace(errs) != "Service 'w' cannot start: socket 'web' is not bound" {
		t.Fatalf("start before bind: %d %q", code, errs)
	}
	d.ctlOK("", "bind", "web")
	d.ctlOK("", "bind", "tcp")
	out := d.ctlOK("", "sockets")
	if want := "bound    web                  unix:" + path + " w\n"; !strings.Contains(out, want) || !strings.Contains(out, "bound    tcp                  127.0.0.1:") {
		t.Fatalf("sockets:\n%s", out)
	}
	var js []struct {
		Name     string   `json:"name"`
		Service  string   `json:"service"`
		Bound    bool     `json:"bound"`
		Services []string `json:"services"`
	}
	if err := json.Unmarshal([]byte(d.ctlOK("", "--json", "sockets")), &js); err != nil || len(js) != 2 ||
		js[1].Name != "web" || !js[1].Bound || js[1].Service != path || len(js[1].Services) != 1 || js[0].Service == "0" {
		t.Fatalf("json sockets %+v %v", js, err)
	}
	// another socket on the same port: the error names the socket
	d.ctlOK("socket dup host=127.0.0.1\nsocket dup service="+js[0].Service+"\n", "load", "-")
	if _, errs, code := d.ctl("", "bind", "dup"); code != 1 || strings.TrimSpace(errs) != "cannot bind 'dup': bind 127.0.0.1:"+js[0].Service+": address already in use (socket 'tcp' is bound on 127.0.0.1:"+js[0].Service+")" {
		t.Fatalf("bind dup: %d %q", code, errs)
	}
	if _, errs, code := d.ctl("", "bind", "web"); code != 1 || strings.TrimSpace(errs) != "socket 'web' is already bound" {
		t.Fatalf("bind twice: %d %q", code, errs)
	}
	d.ctlOK("", "start", "w")
	if _, errs, code := d.ctl("", "unbind", "web"); code != 1 || strings.TrimSpace(errs) != "socket 'web' is in use by w" {
		t.Fatalf("unbind in use: %d %q", code, errs)
	}
	d.ctlOK("", "unbind", "tcp")
	if !strings.Contains(d.ctlOK("", "sockets"), "unbound  tcp                  127.0.0.1:0") {
		t.Fatal("tcp still bound")
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o660 {
		t.Fatalf("socket file %v %v", st, err)
	}
	d.ctlOK("", "shutdown")
	if err := d.waitExit(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("UNIX socket file left after shutdown: %v", err)
	}
}
