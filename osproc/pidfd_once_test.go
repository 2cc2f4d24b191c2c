package osproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// countRT is a process that blocks a real-time signal, which the kernel
// queues once per send (a standard signal sent twice may merge into one),
// and, at SIGUSR1, prints how many were queued.
const countRT = `import signal
RT = signal.SIGRTMIN + 4
signal.pthread_sigmask(signal.SIG_BLOCK, [RT, signal.SIGUSR1])
print("ready", flush=True)
signal.sigwaitinfo([signal.SIGUSR1])
n = 0
while signal.sigtimedwait([RT], 0) is not None:
    n += 1
print(n, flush=True)
`

// A process got from Handle that leads its own group (a proxy's service,
// which cfk-proxy starts with setsid) gets one signal a Signal, as a
// direct child does: the group's kill reached it, and the pidfd's send
// then gave it the same signal again, so that `cfkctl signal HUP` of a
// proxied service reloaded it twice a third of the time (the two sends
// merge when the second comes while the first is pending), and a USR2 of
// a server that re-executes itself on it (unicorn, nginx) started two.
func TestHandleSignalsTheGroupLeaderOnce(t *testing.T) {
	c, counter, tg := startCounter(t)
	h, err := launcher.Handle(counter, c.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := launcher.Signal(h, rtSignal); err != nil {
		t.Fatal(err)
	}
	if n := counted(t, c, tg); n != "1" {
		t.Errorf("the group leader got the signal %s times, want 1", n)
	}
}

// So does an orphan that leads its group, ended by a Target (REFERENCE
// §7.5): its SIGTERM came twice, which a daemon that takes a second
// SIGTERM for "quit now, skip the clean-up" (Node's and Python's asyncio
// servers, Go's with a graceful shutdown) obeyed.
func TestTargetSignalsTheGroupLeaderOnce(t *testing.T) {
	c, counter, _ := startCounter(t)
	tg, err := OpenTarget(counter, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	tg.signal(rtSignal)
	if n := counted(t, c, tg); n != "1" {
		t.Errorf("the group leader got the signal %s times, want 1", n)
	}
}

// rtSignal is countRT's SIGRTMIN + 4 as the kernel numbers it (glibc's
// SIGRTMIN is 34).
const rtSignal = syscall.Signal(34 + 4)

// startCounter starts countRT in a session of its own under a shell that
// stands for a proxy (c), and returns it once it blocks the signals, with
// a Target on it (not its group's) that the cleanup kills it with.
func startCounter(t *testing.T) (c *child, counter int, tg *Target) {
	t.Helper()
	if !Pidfds {
		t.Skip("no pidfds in this build: Handle fails (TestNoHandleWithoutPidfds, REFERENCE §11)")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH")
	}
	script := filepath.Join(t.TempDir(), "count.py")
	if err := os.WriteFile(script, []byte(countRT), 0o644); err != nil {
		t.Fatal(err)
	}
	c = capture(t, Spec{Argv: sh("setsid " + py + " " + script + " & wait"), Setsid: true})
	eventually(t, "the counter runs", func() (bool, string) {
		for _, p := range children(c.Pid) {
			if p.comm == "python3" && p.pgrp == p.pid {
				counter = p.pid
			}
		}
		return counter != 0, fmt.Sprint(children(c.Pid))
	})
	tg, err = OpenTarget(counter, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.signal(syscall.SIGKILL); tg.Close() })
	if l := lines(t, c.out, 1)[0]; l != "ready" {
		t.Fatalf("the counter said %q, want ready", l)
	}
	return c, counter, tg
}

// counted asks the counter for its count: the SIGUSR1 is queued after
// the signals sent before, so the count is final.
func counted(t *testing.T, c *child, tg *Target) string {
	t.Helper()
	tg.signal(syscall.SIGUSR1)
	return lines(t, c.out, 1)[0]
}
