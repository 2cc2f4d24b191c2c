package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// uidTasks counts the processes and threads of uid (what its
// RLIMIT_NPROC counts).
func uidTasks(t *testing.T, uid int) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*")
	n := 0
	for _, p := range procs {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && int(st.Uid) == uid {
			n++
		}
	}
	return n
}

// A cfkd that is not root, whose user's processes run out (RLIMIT_NPROC:
// its services run as its user), goes on: the starts that cannot fork
// wait in backoff as cfkd's shortage, not counted, and start once
// processes are freed (REFERENCE §2.1, §7.6). Go's runtime aborted cfkd
// when it wanted a thread more ("runtime/cgo: pthread_create failed:
// Resource temporarily unavailable"), at the first mass start under the
// limit: cfkd died, its services left to init.
func TestNprocShortageKeepsCfkd(t *testing.T) {
	needRoot(t)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit(1)")
	}
	const uid = 54337 // no passwd entry: no other process of this user
	if n := uidTasks(t, uid); n != 0 {
		t.Skipf("uid %d has %d processes already", uid, n)
	}
	if err := os.Chmod(filepath.Dir(cfkdBin), 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(sharedDir(t), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, uid); err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}
	cmd := exec.Command(cfkdBin, "--home", home)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	d := runDaemonCmd(t, home, cmd, nil).acceptsOnHome()
	c := d.dial()
	const n = 12
	for i := range n {
		c.ok(fmt.Sprintf("service s%02d cmd=sleep 1000", i), fmt.Sprintf("service s%02d startwait_secs=0.1", i))
	}

	// room for a few services: what cfkd (and its fork server) hold now,
	// and 3 processes more; set as cfkd's user, who may lower its limits
	limit := uidTasks(t, uid) + 3
	set := exec.Command(prlimit, fmt.Sprintf("--nproc=%d:%d", limit, limit), "--pid", strconv.Itoa(d.cmd.Process.Pid))
	set.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := set.CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v\n%s", err, out)
	}

	alive := func() {
		t.Helper()
		select {
		case <-d.exited:
			t.Fatalf("cfkd died (%v):\n%.2000s", d.err, d.stderr.String())
		default:
		}
	}
	c.do("command start all")
	// each start either ran or waits for its retry as cfkd's shortage
	c.until("every service running or in backoff, some of each", func() bool {
		alive()
		m := c.states()
		return m["running"] > 0 && m["backoff"] > 0 && m["running"]+m["backoff"] == n
	})
	for _, l := range c.ok("command inspect") {
		if strings.Contains(l, `"state":"backoff"`) &&
			(!strings.Contains(l, `"last_error":"cfkd: cannot fork: resource temporarily unavailable"`) || !strings.Contains(l, `"retries":0`)) {
			t.Errorf("a service waiting for a process of cfkd's user: %s", l)
		}
	}
	// each stop frees processes: those waiting start at their retry,
	// round after round, until every service ran (and was stopped)
	for {
		m := c.states()
		if m["fatal"]+m["fail"] > 0 {
			t.Fatalf("a shortage of cfkd's user made a service fail: %v", m)
		}
		if m["stopped"] == n {
			break
		}
		for _, l := range c.ok("command status") {
			if f := strings.Split(l, "\t"); len(f) > 1 && f[1] == "running" {
				c.ok("command stop service " + f[0])
			}
		}
		c.until("a retry that starts", func() bool {
			alive()
			m := c.states()
			return m["running"] > 0 || m["stopped"] == n
		})
	}
	alive()
}
