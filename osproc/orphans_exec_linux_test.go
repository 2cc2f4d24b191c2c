package osproc

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// adoptDaemon launches a shell of service svc that forks script's daemon
// (a sleep) in a session of its own and exits, and returns the daemon's
// pid once the test process adopted it, asleep (its execs over; svc "":
// the daemon's environment does not say). The daemon is killed, and
// reaped as an orphan, when the test ends.
func adoptDaemon(t *testing.T, svc, script string) int {
	t.Helper()
	exited := make(chan struct{})
	env := append(os.Environ(), "CONTROL_FREAK_SERVICE=svc")
	p, err := launcher.Launch(Spec{Argv: sh(`setsid ` + script + ` </dev/null >/dev/null 2>&1 & exit 0`), Env: env, Setsid: true},
		func(int, syscall.WaitStatus) { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(deadline):
		launcher.Signal(p, syscall.SIGKILL)
		t.Fatal("the shell did not exit")
	}
	daemon := 0
	t.Cleanup(func() {
		if daemon != 0 {
			syscall.Kill(daemon, syscall.SIGKILL)
		}
	})
	eventually(t, "the daemon is adopted, asleep", func() (bool, string) {
		for _, o := range launcher.AdoptedOrphans() {
			if o.Comm == "sleep" && o.Pgid == o.Pid && (svc == "" || o.Service == svc) {
				daemon = o.Pid
				return o.State == 'S', fmt.Sprint(o)
			}
		}
		return false, "no daemon"
	})
	return daemon
}

// An orphan caught in the middle of an execve has its new memory but no
// environment in it yet: /proc/PID/environ reads empty until the kernel
// has loaded the program, a few milliseconds, more on a loaded machine.
// AdoptedOrphans read it five times 2 ms apart, and listed an orphan
// whose execve took longer without its service: the scan after its
// service's stop, or after the end of the proxy that forked it, left it
// running. It reads it again while /proc/PID/stat says the execve is
// under way (here for 100 ms).
func TestAdoptedOrphansWaitForAnExecve(t *testing.T) {
	daemon := adoptDaemon(t, "svc", "sleep 1000")
	real := readEnviron
	defer func() { readEnviron = real }()
	var first time.Time
	readEnviron = func(pid int) ([]string, bool) {
		if pid != daemon {
			return real(pid)
		}
		if first.IsZero() {
			first = time.Now()
		}
		if time.Since(first) < 100*time.Millisecond {
			return nil, true // what environState says of a process in an execve
		}
		return real(pid)
	}
	var got []Orphan
	for _, o := range launcher.AdoptedOrphans() {
		if o.Pid == daemon {
			got = append(got, o)
		}
	}
	if len(got) != 1 || got[0].Service != "svc" {
		t.Fatalf("orphans %+v, want the daemon %d of service svc", got, daemon)
	}
}

// environState of real processes: one with an environment has it; one
// whose environment is empty for good (env -i) is not in an execve, and
// AdoptedOrphans reads it once (it read it six times, 10 ms).
func TestEnvironState(t *testing.T) {
	daemon := adoptDaemon(t, "", "env -i sleep 1000")
	if env, execing := environState(os.Getpid()); execing || !slices.Contains(env, "PATH="+os.Getenv("PATH")) {
		t.Errorf("environState(self) = %d variables, execing %v", len(env), execing)
	}
	if env, execing := environState(daemon); execing || env != nil {
		t.Errorf("environState of env -i's sleep = %q, execing %v: want none, not execing", env, execing)
	}
	real := readEnviron
	defer func() { readEnviron = real }()
	reads := 0
	readEnviron = func(pid int) ([]string, bool) {
		if pid == daemon {
			reads++
		}
		return real(pid)
	}
	launcher.AdoptedOrphans()
	if reads != 1 {
		t.Errorf("the empty environment of the daemon was read %d times, want 1", reads)
	}
}

// statEnvEnd reads env_end, field 51 of /proc/PID/stat.
func TestStatEnvEnd(t *testing.T) {
	line := func(state, envEnd string, n int) []byte {
		f := make([]string, n) // fields 3 to n+2
		for i := range f {
			f[i] = "1"
		}
		f[0] = state
		if n > 48 {
			f[48] = envEnd
		}
		return []byte("42 (a) b) " + strings.Join(f, " ") + "\n")
	}
	for _, c := range []struct {
		stat []byte
		want envEnd
	}{
		{line("R", "0", 50), envInExec},
		{line("S", "140724883173355", 50), envThere},
		{line("R", "0", 49), envInExec}, // field 51 the last one
		{line("Z", "0", 50), envUnknown},
		{line("R", "0", 44), envUnknown}, // before Linux 3.5
		{[]byte("42 (a"), envUnknown},
		{nil, envUnknown},
	} {
		if got := statEnvEnd(c.stat); got != c.want {
			t.Errorf("statEnvEnd(%q) = %v, want %v", c.stat, got, c.want)
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err != nil || statEnvEnd(b) != envThere {
		t.Errorf("statEnvEnd of the test process = %v (%v), want envThere", statEnvEnd(b), err)
	}
}
