package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// shRunner runs probe specs for real (/bin/sh), fd 2 a pipe whose read
// end it hands back when the spec asks (StderrPipe), as osproc's
// Launcher does, without its reaper (there is one a process,
// and the other tests of the package run exec.Cmd). Every process group
// it started is killed when the test ends.
type shRunner struct {
	t    *testing.T
	mu   sync.Mutex
	pids []int
}

func newShRunner(t *testing.T) *shRunner {
	s := &shRunner{t: t}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, pid := range s.pids {
			syscall.Kill(-pid, syscall.SIGKILL) // what the try left in its group
		}
	})
	return s
}

func (s *shRunner) Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error) {
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Env, cmd.Dir = spec.Env, spec.Dir
	var r *os.File
	if spec.StderrPipe {
		var w *os.File
		var err error
		if r, w, err = os.Pipe(); err != nil {
			return nil, err
		}
		cmd.Stderr = w // given as it is: no copying goroutine
		defer w.Close()
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		if r != nil {
			r.Close()
		}
		return nil, err
	}
	pid := cmd.Process.Pid
	s.mu.Lock()
	s.pids = append(s.pids, pid)
	s.mu.Unlock()
	go func() {
		cmd.Wait()
		onExit(pid, cmd.ProcessState.Sys().(syscall.WaitStatus))
	}()
	return &osproc.Process{Pid: pid, Stderr: r}, nil
}

func (s *shRunner) Signal(p *osproc.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}

func (s *shRunner) Handle(pid, parent int) (*osproc.Process, error) {
	return nil, errors.New("no handle")
}

// try runs one try of the exec: probe target for real, bounded by the
// tests' deadline.
func (s *shRunner) try(target string) (error, time.Duration) {
	s.t.Helper()
	spec := osproc.Spec{Argv: []string{"/bin/sh", "-c", target}, Env: []string{"PATH=/usr/bin:/bin"}}
	spec.Setsid, spec.EndGroup = probeGroup()
	got := make(chan error, 1)
	start := time.Now()
	go func() { got <- execReady(context.Background(), s, spec, deadline) }()
	select {
	case err := <-got:
		return err, time.Since(start)
	case <-time.After(deadline):
		s.t.Fatalf("%q: the try did not end within %v", target, deadline)
		return nil, 0
	}
}

// REFERENCE §2.9: a failed try of a ready=exec: probe says the last line
// its stderr wrote after its exit status: it said `exit status 7`, not
// curl's `Failed to connect`, nor a shell's `not found`. Its stdout
// and its stderr's earlier lines are not said.
func TestNotReadySaysTheExecChecksStderr(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	sh := newShRunner(t)
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		if len(spec.Argv) == 3 && spec.Argv[0] == "/bin/sh" { // the probe's tries, for real
			p, err := sh.Launch(spec, func(_ int, ws syscall.WaitStatus) { r.fake.exitStatus(pid, ws) })
			if err != nil {
				t.Errorf("the probe: %v", err)
				return
			}
			r.fake.setStderr(pid, p.Stderr)
		}
	}
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100",
		`service s ready=exec:echo stdout; echo 'not this line' >&2; echo '  curl: (7) Failed to connect to 127.0.0.1 port 1  ' >&2; echo >&2; exit 7`,
		"service s respawn_on_fail=0", "service s startwait_secs=0.1", "service s ready_timeout_secs=0.4")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, stopping, fail)
	want := "s: its last readiness check failed: exit status 7: curl: (7) Failed to connect to 127.0.0.1 port 1"
	waitFor(t, "the last check logged", func() bool {
		for _, e := range hook.AllEntries() {
			if e.Message == want && e.Level == logrus.WarnLevel {
				return true
			}
		}
		return false
	})
}

// The same of a shell's own error, and of a try that hangs: its last
// line after `killed`.
func TestExecTryFailureSaysItsStderr(t *testing.T) {
	t.Parallel()
	sh := newShRunner(t)
	err, _ := sh.try("no-such-probe-cfk")
	if err == nil || !strings.HasPrefix(err.Error(), "exit status 127: ") || !strings.Contains(err.Error(), "no-such-probe-cfk: ") || !strings.HasSuffix(err.Error(), "not found") {
		t.Errorf("a command not found: %v, want exit status 127 and the shell's `not found`", err)
	}
	// a try a signal ended that cfkd did not send said `exit status -1`
	err, _ = sh.try("echo 'core dumped' >&2; kill -SEGV $$")
	if want := "killed by signal 11 (segmentation fault): core dumped"; err == nil || err.Error() != want {
		t.Errorf("a try that a SIGSEGV ended: %v, want %q", err, want)
	}
	spec := osproc.Spec{Argv: []string{"/bin/sh", "-c", "echo 'waiting for the database' >&2; sleep 100"}, Env: []string{"PATH=/usr/bin:/bin"}}
	spec.Setsid, spec.EndGroup = probeGroup()
	err = execReady(context.Background(), sh, spec, 300*time.Millisecond)
	if want := "did not exit within 300ms: killed: waiting for the database"; err == nil || err.Error() != want {
		t.Errorf("a try that hangs: %v, want %s", err, want)
	}
	if err, _ := sh.try("echo 'all is well' >&2; exit 0"); err != nil {
		t.Errorf("a try that passes, its stderr written: %v", err)
	}
}

// A try keeps only the tail of its stderr (REFERENCE §2.9: the last line
// of its last 512 bytes), and reads it all as it comes: a probe that
// writes a megabyte does not block in its write.
func TestExecTryKeepsTheTailOfAHugeStderr(t *testing.T) {
	t.Parallel()
	sh := newShRunner(t)
	err, _ := sh.try(`head -c 1000000 /dev/zero | tr '\0' x >&2; printf '\nlast words\n\n' >&2; exit 1`)
	if want := "exit status 1: last words"; err == nil || err.Error() != want {
		t.Errorf("a megabyte, then a line: %.100v, want %s", err, want)
	}
	err, _ = sh.try(`head -c 100000 /dev/zero | tr '\0' y >&2; exit 2`)
	if want := "exit status 2: " + strings.Repeat("y", probeTail); err == nil || err.Error() != want {
		t.Errorf("one line of 100000 bytes: %.100v (%d bytes), want its last %d", err, len(fmt.Sprint(err)), probeTail)
	}
}

// A try's stderr is read until its process exits, then what is in the
// pipe, not until the pipe's end: a child that the probe left running,
// holding its stderr, does not make the try wait (nor one that writes on
// and on). The tests' runner does not end the try's group at its exit,
// as cfkd's reaper does: here its child lives on, as a daemon out of the
// group would.
func TestExecTryDoesNotWaitForItsChildren(t *testing.T) {
	t.Parallel()
	sh := newShRunner(t)
	err, took := sh.try(`sleep 100 & echo 'started a daemon' >&2; exit 3`)
	if want := "exit status 3: started a daemon"; err == nil || err.Error() != want {
		t.Errorf("a child holding stderr: %v, want %s", err, want)
	}
	if took > deadline/2 {
		t.Errorf("a child holding stderr: the try took %v", took)
	}
	err, _ = sh.try(`(while :; do echo on and on >&2; done) & echo 'gone' >&2; exit 4`)
	if err == nil || !strings.HasPrefix(err.Error(), "exit status 4: ") {
		t.Errorf("a child writing on: %v, want exit status 4", err)
	}
}

func TestLastLine(t *testing.T) {
	cut := strings.Repeat("é", probeTail/2) // 2 bytes each
	for in, want := range map[string]string{
		"":                            "",
		"\n\n":                        "",
		"one\ntwo\n":                  "two",
		"one\r\n  two  \r\n\r\n":      "two",
		"10%\r50%\rfailed\n":          "failed",
		"x" + cut:                     cut,
		"x" + cut[1:] + "\n":          cut[2:],
		"a\nb \x1b[31mred\x1b[0m\n":   "b \x1b[31mred\x1b[0m",
		strings.Repeat("z", 600) + "": strings.Repeat("z", probeTail),
	} {
		if got := lastLine([]byte(in)); got != want {
			t.Errorf("lastLine(%.40q) = %.40q, want %.40q", in, got, want)
		}
	}
}
