package integration

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	. "github.com/cfk/cfk/messages"
)

func TestStartStop(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 100", "service s startwait_secs=0.2")
	if got := h.status("s"); got[1] != "stopped" || got[2] != "" {
		t.Fatalf("new service status %q", got)
	}
	if r := h.ok("command start service s"); len(r) != 1 || r[0] != "done 1" {
		t.Fatalf("start reply %q", r)
	}
	ev := h.expectSeq("s", Starting, Running)
	pid := ev[0].Pid
	if pid == 0 || ev[1].Pid != pid || !alive(pid) {
		t.Fatalf("pids %d %d", pid, ev[1].Pid)
	}
	st := h.status("s")
	if st[1] != "running" || st[2] != strconv.Itoa(pid) || st[3] == "" || st[4] != "" || st[7] != "sleep 100" {
		t.Fatalf("running status %q", st)
	}
	h.fails("command start service s", "Service 's' is already up")
	h.ok("command stop service s")
	h.expectSeq("s", Stopping, Stopped)
	h.waitGone(pid)
	st = h.status("s")
	if st[1] != "stopped" || st[2] != "" || st[3] != "" || st[4] == "" || st[6] != "" {
		t.Fatalf("stopped status %q", st)
	}
	h.fails("command stop service s", "Service 's' is already down")
}

func TestNoCommand(t *testing.T) {
	h := newHarness(t)
	h.ok("service s desc=nothing to run")
	h.fails("command start service s", "Service 's' has no known command")
	h.ok("service s cmd=sleep 100", "service s cmd=")
	h.fails("command up service s", "Service 's' has no known command")
}

func TestKill9WhileRunningRespawns(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 100", "service s startwait_secs=0.1", "command start service s")
	first := h.expectSeq("s", Starting, Running)[0].Pid
	syscall.Kill(first, syscall.SIGKILL)
	ev := h.expectSeq("s", Fail, Starting, Running)
	if ev[0].Reason != "Received signal 9" {
		t.Fatalf("fail reason %q", ev[0].Reason)
	}
	if ev[1].Pid == first || ev[1].Pid == 0 || !alive(ev[1].Pid) {
		t.Fatalf("respawned pid %d (first %d)", ev[1].Pid, first)
	}
}

func TestExit255IsFail(t *testing.T) {
	h := newHarness(t)
	h.ok(`service s cmd=sh -c "sleep 0.3; exit 255"`, "service s startwait_secs=0.1",
		"service s respawn_on_fail=0", "command start service s")
	h.expectSeq("s", Starting, Running, Fail)
	if st := h.status("s"); st[1] != "fail" || st[6] != "Exited with error 255" || st[2] != "" || st[4] == "" {
		t.Fatalf("status %q", st)
	}
}

func TestSelfKill9IsReceivedSignal9(t *testing.T) {
	h := newHarness(t)
	h.ok(`service s cmd=sh -c 'sleep 0.3; kill -9 $$'`, "service s startwait_secs=0.1",
		"service s respawn_on_fail=no", "command start service s")
	ev := h.expectSeq("s", Starting, Running, Fail)
	if ev[2].Reason != "Received signal 9" || h.status("s")[6] != "Received signal 9" {
		t.Fatalf("reason %q", ev[2].Reason)
	}
}

func TestSigtermFromOutsideIsStopped(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 100", "service s startwait_secs=0.1", "command start service s")
	pid := h.expectSeq("s", Starting, Running)[0].Pid
	syscall.Kill(pid, syscall.SIGTERM)
	ev := h.expectSeq("s", Stopped)
	if ev[0].Reason != "" || h.status("s")[6] != "" {
		t.Fatalf("a SIGTERM from outside must not be a failure: %+v", ev[0])
	}
	h.expectNone("s", Starting, 300*time.Millisecond)
}

func TestFailDuringStartupBacksOffThenFatal(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=false", "service s respawn_max_retries=3")
	h.ok("command start service s")
	h.expectSeq("s", Starting, Backoff, Starting, Backoff, Starting, Fatal)
	if st := h.status("s"); st[1] != "fatal" || st[2] != "" {
		t.Fatalf("status %q", st)
	}
	// a manual start of a fatal service begins a fresh retry count: it
	// backs off again instead of going straight back to fatal.
	h.ok("command start service s")
	h.expectSeq("s", Starting, Backoff)
	h.ok("command stop service s")
	h.expectSeq("s", Stopped)
}

func TestStopDuringBackoffStaysStopped(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=false", "command start service s")
	h.expectSeq("s", Starting, Backoff)
	h.ok("command stop service s")
	h.expectSeq("s", Stopped)
	// the retry was due in 0.3 s at most: nothing may start in 1 s.
	h.expectNone("s", Starting, time.Second)
	if st := h.status("s"); st[1] != "stopped" {
		t.Fatalf("status %q", st)
	}
}

func TestCrashWhileRunningRestarts(t *testing.T) {
	h := newHarness(t)
	h.ok(`service s cmd=sh -c "sleep 0.3; exit 3"`, "service s startwait_secs=0.1", "command start service s")
	ev := h.expectSeq("s", Starting, Running, Fail, Starting, Running)
	if ev[2].Reason != "Exited with error 3" || ev[3].Pid == ev[0].Pid {
		t.Fatalf("events %v", transitions(ev))
	}
	h.ok("command stop service s")
	h.expect("s", Stopped)
}

func TestRespawnOnStop(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 0.3", "service s startwait_secs=0.1", "service s respawn_on_stop=1",
		"command start service s")
	ev := h.expectSeq("s", Starting, Running, Stopped, Starting, Running)
	if ev[3].Pid == ev[0].Pid {
		t.Fatal("same pid after respawn")
	}
	h.ok("command stop service s")
	h.expect("s", Stopped)
	h.expectNone("s", Starting, 500*time.Millisecond)
}

func TestCleanExitWithoutRespawnOnStop(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=true", "service s startwait_secs=0.5", "command start service s")
	h.expectSeq("s", Starting, Stopped)
	h.expectNone("s", Starting, 300*time.Millisecond)
}

func TestTermIgnoringChildKilledAfterStopwait(t *testing.T) {
	h := newHarness(t)
	h.ok(`service s cmd=sh -c 'trap "" TERM; sleep 100'`, "service s startwait_secs=0.1",
		"service s stopwait_secs=0.3", "command start service s")
	pid := h.expectSeq("s", Starting, Running)[0].Pid
	start := time.Now()
	h.ok("command stop service s")
	ev := h.expectSeq("s", Stopping, Fail)
	if ev[1].Reason != "Received signal 9" {
		t.Fatalf("reason %q", ev[1].Reason)
	}
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Fatalf("killed after %v, before stopwait", el)
	}
	h.poll("the whole group gone", func() bool { return len(group(pid)) == 0 })
}

func TestShellCommandStoppedAsAGroup(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 10; sleep 10", "service s startwait_secs=0.1", "command start service s")
	pid := h.expectSeq("s", Starting, Running)[0].Pid
	if h.status("s")[7] != "/bin/sh -c sleep 10; sleep 10" {
		t.Fatalf("running_cmd %q", h.status("s")[7])
	}
	h.poll("the sleep child", func() bool { return len(group(pid)) >= 2 })
	h.ok("command stop service s")
	h.expectSeq("s", Stopping, Stopped)
	h.poll("the whole group gone", func() bool { return len(group(pid)) == 0 })
}

func TestNoNewSessionSignalsThePidOnly(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 100", "service s no_new_session=1", "service s startwait_secs=0.1",
		"command start service s")
	pid := h.expectSeq("s", Starting, Running)[0].Pid
	if p, _ := readStat(pid); p.pgid != syscall.Getpgrp() {
		t.Fatalf("pgid %d, want ours %d", p.pgid, syscall.Getpgrp())
	}
	h.ok("command stop service s")
	h.expectSeq("s", Stopping, Stopped)
}

func TestRestart(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 100", "service s startwait_secs=0.1")
	// restart of a down service starts it
	h.ok("command restart service s")
	first := h.expectSeq("s", Starting, Running)[0].Pid
	if r := h.ok("command restart service s"); r[0] != "done 1" {
		t.Fatalf("restart reply %q", r)
	}
	// the reply came once the new process was launched
	ev := h.expectSeq("s", Stopping, Stopped, Starting, Running)
	if ev[2].Pid == first || !alive(ev[2].Pid) || alive(first) {
		t.Fatalf("restart pids: first %d new %d", first, ev[2].Pid)
	}
}

func TestDestroy(t *testing.T) {
	h := newHarness(t)
	h.ok("service a cmd=sleep 100", "service a startwait_secs=0.1", "service b cmd=sleep 100",
		"command start service a")
	pid := h.expectSeq("a", Starting, Running)[0].Pid
	if r := h.ok("command destroy service a"); r[0] != "done 1" {
		t.Fatalf("destroy reply %q", r)
	}
	if !containsOnly(h.ok("command list"), "b") {
		t.Fatalf("list after destroy: %q", h.ok("command list"))
	}
	h.waitGone(pid)
	h.fails("command start service a", ErrNoService.Error())
	// the name can be declared again
	h.ok("service a cmd=sleep 100")
	if len(h.ok("command list")) != 2 {
		t.Fatal("re-declared service missing")
	}
}

func containsOnly(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// A restart after cmd was changed to a program that is not there stopped
// the running process, then failed to exec the new one: the service was
// left down. With cfkd's own launcher, the program is looked up before
// the stop: the restart is refused and the process runs on (REFERENCE
// §2.7).
func TestRestartToAMissingProgramKeepsTheProcess(t *testing.T) {
	h := newHarness(t)
	h.ok("service s cmd=sleep 100", "service s startwait_secs=0.1", "command start service s")
	pid := h.expectSeq("s", Starting, Running)[0].Pid
	h.ok("service s cmd=no-such-program-cfk 100")
	h.fails("command restart service s", "Service 's' cannot start: exec no-such-program-cfk: executable file not found in PATH")
	h.expectNone("s", Stopping, 100*time.Millisecond)
	if st := h.status("s"); st[1] != "running" || st[2] != strconv.Itoa(pid) || !alive(pid) {
		t.Fatalf("status %q, want s running as pid %d", st, pid)
	}
	// a cwd gone (a release directory removed) is refused too
	h.ok("service s cmd=sleep 100", "service s cwd=/no/such/dir-cfk")
	h.fails("command restart service s", "Service 's' cannot start: cwd /no/such/dir-cfk: no such file or directory")
	h.expectNone("s", Stopping, 100*time.Millisecond)
	if st := h.status("s"); st[1] != "running" || st[2] != strconv.Itoa(pid) || !alive(pid) {
		t.Fatalf("status %q, want s running as pid %d", st, pid)
	}
}
