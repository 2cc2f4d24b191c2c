package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// heldDetach is a `cfkd -d` whose detached cfkd is held at its -c file,
// so that its parent still waits for it: the file starts a service
// `held` (ready as ready says) and then rolling-restarts it, which is
// answered only once the service is ready (a start is answered at its
// launch).
type heldDetach struct {
	cmd            *exec.Cmd
	home           string
	exited         chan error // cmd's end, put back by whoever takes it
	child          int        // the detached cfkd's pid
	stdout, stderr *strings.Builder
}

// startHeldDetach runs argv (cfkd, or a wrapper of it, with the home,
// the -c file and -d added after it; extra before them) in dir, and
// returns once the detached cfkd holds the lock. The cleanup kills the
// parent, the detached cfkd and its service.
func startHeldDetach(t *testing.T, dir, ready string, argv []string, extra ...string) *heldDetach {
	t.Helper()
	h := &heldDetach{home: filepath.Join(dir, "home"), exited: make(chan error, 1),
		stdout: &strings.Builder{}, stderr: &strings.Builder{}}
	conf := filepath.Join(dir, "held.conf")
	if err := os.WriteFile(conf, []byte("service held cmd=sleep 1000\nservice held ready="+ready+
		"\nservice held ready_timeout_secs=600\ncommand start service held\ncommand rollingrestart service held\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append(append([]string{}, argv[1:]...), extra...), "--home", h.home, "-c", conf, "-d")
	h.cmd = exec.Command(argv[0], args...)
	h.cmd.Env = childEnv("CFKD_HOME=" + h.home)
	h.cmd.Stdout, h.cmd.Stderr = h.stdout, h.stderr
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.exited <- h.cmd.Wait() }()
	t.Cleanup(func() {
		h.cmd.Process.Kill()
		<-h.exited
		killHome(h.home) // the detached cfkd, and its service
	})
	end := time.Now().Add(deadline)
	for {
		b, _ := os.ReadFile(filepath.Join(h.home, "lock"))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != h.cmd.Process.Pid {
			h.child = pid
			return h
		}
		select {
		case err := <-h.exited:
			h.exited <- err // for the cleanup
			t.Fatalf("cfkd -d exited at once: %v\n%s", err, h.stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatal("the detached cfkd never took the lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
