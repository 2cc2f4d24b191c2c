package e2e

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestApplyBehindAnUnboundedReadiness: a rolling apply waits for ever for
// a service whose readiness has no timeout and never comes (REFERENCE
// §1.4). Meanwhile a dry run is answered at once, with a note naming the
// apply under way; another apply is refused at once, saying what it
// waits for and what ends the wait, and a cfkctl apply that waits for it
// and is killed has applied nothing, then or later; a stop of the
// service ends the roll. Before, the dry run and the apply hung until
// their --timeout, and the killed one's file was applied after the stop.
func TestApplyBehindAnUnboundedReadiness(t *testing.T) {
	dir := t.TempDir()
	conf := func(name, cmd string) string {
		return writeConf(t, filepath.Join(dir, name), "service slow cmd="+cmd+"\nservice slow ready=exec:false\nservice slow ready_timeout_secs=0\n")
	}
	a, b, c := conf("a.conf", "sleep 1000"), conf("b.conf", "sleep 1001"), conf("c.conf", "sleep 1002")
	d := startDaemon(t, "", "-c", a)
	d.ctlOK("", "start", "slow")

	roll := exec.Command(cfkctlBin, "--address", "unix:"+d.sock, "--rolling", "apply", b)
	roll.Env = childEnv()
	var rollOut, rollErr strings.Builder
	roll.Stdout, roll.Stderr = &rollOut, &rollErr
	if err := roll.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { roll.Process.Kill(); roll.Wait() })

	waiting := "rolling restart, 0 of 1 done, waiting for 'slow' to be running)"
	cl := d.dial()
	cl.until("the dry run notes the rolling apply under way", func() bool {
		// answered, not held by the roll: a dry run that waited would
		// fail at its --timeout; 5 s, not 2, for a cfkctl run on a
		// loaded machine
		begun := time.Now()
		out, errs, code := d.ctl("", "--timeout", "10s", "apply", "--dry-run", c)
		if code != 0 || time.Since(begun) > 5*time.Second {
			t.Fatalf("dry run: exit %d after %v: %q %q", code, time.Since(begun), out, errs)
		}
		return out == "~ slow: cmd\n" && strings.HasPrefix(errs, "note: an apply is under way (from unix:uid=") && strings.Contains(errs, waiting)
	})

	begun := time.Now()
	_, errs, code := d.ctl("", "--timeout", "1500ms", "apply", c)
	if code != 1 || !strings.HasPrefix(errs, "cfkctl: an apply is under way (") ||
		!strings.HasSuffix(errs, waiting+": try again once it is done (a stop of 'slow' ends its wait)\n") || time.Since(begun) > 5*time.Second {
		t.Fatalf("apply while the roll waits: exit %d after %v, stderr %q", code, time.Since(begun), errs)
	}

	killed := exec.Command(cfkctlBin, "--address", "unix:"+d.sock, "apply", c)
	killed.Env = childEnv()
	pipe, err := killed.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killed.Process.Kill(); killed.Wait() })
	said := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(pipe).ReadString('\n')
		said <- l
	}()
	select {
	case l := <-said:
		if !strings.Contains(l, waiting) || !strings.HasSuffix(l, "; waiting (see --timeout)\n") {
			t.Fatalf("cfkctl apply waiting: %q", l)
		}
	case <-time.After(deadline):
		t.Fatal("cfkctl apply said nothing while it waited")
	}
	killed.Process.Kill()
	killed.Wait()

	d.ctlOK("", "stop", "slow")
	done := make(chan error, 1)
	go func() { done <- roll.Wait() }()
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("the rolling apply did not end once its service was stopped")
	}
	if rollOut.String() != "~ slow: cmd\n" || !strings.HasPrefix(rollErr.String(), "slow: Service 'slow' did not come back up: ") {
		t.Fatalf("rolling apply: stdout %q stderr %q", rollOut.String(), rollErr.String())
	}
	if out := d.ctlOK("", "apply", "--dry-run", b); out != "no changes\n" {
		t.Fatalf("after the roll, the killed apply's file was applied: %q", out)
	}
}
