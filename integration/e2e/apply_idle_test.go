package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestApplyWaitingOutlivesTheIdleTimeout: a cfkctl apply that waits for
// another one sends its apply again after 1 s, then up to every 5 s
// (REFERENCE §8.2); a cfkd whose --idle-timeout is shorter closed its
// connection between two tries (§5.4), and the next try failed, `cfkd
// closed the connection`. cfkctl now opens a connection again (its auth
// again, on TCP) when cfkd closed it between two tries, and the apply is
// taken once the other is done, once.
func TestApplyWaitingOutlivesTheIdleTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := fmt.Sprintf("admin-%d-0123456789abcdef", time.Now().UnixNano())
	server := tokenFile(t, dir, "tokens", os.Getuid(), "admin "+secret)
	mine := tokenFile(t, dir, "mine", os.Getuid(), secret)
	conf := func(name, cmd string) string {
		return writeConf(t, filepath.Join(dir, name), "service slow cmd="+cmd+"\nservice slow ready=exec:false\nservice slow ready_timeout_secs=0\n")
	}
	a, b, c := conf("a.conf", "sleep 1000"), conf("b.conf", "sleep 1001"), conf("c.conf", "sleep 1002")
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := startDaemonTCP(t, addr, addr, "--admin-token", server, "--idle-timeout", "300ms", "-c", a)
	ctl := func(args ...string) *exec.Cmd {
		cmd := exec.Command(cfkctlBin, append([]string{"-a", addr}, args...)...)
		cmd.Env = childEnv("CFKCTL_TOKEN_FILE=" + mine)
		return cmd
	}
	run := func(args ...string) (string, string, int) {
		cmd := ctl(args...)
		var out, errs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errs
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), errs.String(), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errs.String(), 0
	}
	until := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(deadline); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	log := func() string {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return string(b)
	}
	if _, errs, code := run("start", "slow"); code != 0 {
		t.Fatalf("start: exit %d: %s", code, errs)
	}

	// a rolling apply waits for ever for slow's readiness
	roll := ctl("--rolling", "apply", b)
	var rollOut, rollErr bytes.Buffer
	roll.Stdout, roll.Stderr = &rollOut, &rollErr
	if err := roll.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { roll.Process.Kill(); roll.Wait() })
	until("the rolling apply under way", func() bool {
		_, errs, code := run("apply", "--dry-run", c)
		return code == 0 && strings.HasPrefix(errs, "note: an apply is under way (")
	})

	// another waits for it, longer than the idle timeout between tries
	waiter := ctl("--timeout", "30s", "apply", c)
	var waitOut, waitErr bytes.Buffer
	waiter.Stdout, waiter.Stderr = &waitOut, &waitErr
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { waiter.Process.Kill(); waiter.Wait() })
	exited := make(chan error, 1)
	go func() { exited <- waiter.Wait() }()
	refusals := func() int { return strings.Count(log(), "apply refused: an apply is under way") }
	until("a try of the waiting apply after cfkd closed its idle connection", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the waiting apply ended (%v) while the other was under way: stdout %q stderr %q", err, waitOut.String(), waitErr.String())
		default:
		}
		l := log()
		idle := strings.Index(l, "idle for 300ms: closing it")
		return idle >= 0 && strings.Count(l[idle:], "apply refused: an apply is under way") >= 1
	})

	// the roll ends: the waiting apply is taken at its next try, once
	before := refusals()
	if _, errs, code := run("stop", "slow"); code != 0 {
		t.Fatalf("stop: exit %d: %s", code, errs)
	}
	select {
	case err := <-exited:
		if err != nil || waitOut.String() != "~ slow: cmd\n" {
			t.Fatalf("the waiting apply: %v, stdout %q stderr %q", err, waitOut.String(), waitErr.String())
		}
	case <-time.After(deadline):
		t.Fatal("the waiting apply was not taken once the other was done")
	}
	if n := refusals(); n > before+1 {
		t.Errorf("%d refusals after the roll ended, want 1 at most", n-before)
	}
	if out, errs, code := run("apply", "--dry-run", c); code != 0 || out != "no changes\n" {
		t.Fatalf("after the waiting apply: exit %d, %q %q", code, out, errs)
	}
}
