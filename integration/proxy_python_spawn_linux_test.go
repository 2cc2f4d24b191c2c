package integration

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// The Python proxy forked its loaded interpreter for every service, also
// for one it only execs: a fork copies the page tables of all the proxy
// loaded (about 45 ms on the test VM, 6 to 8 times a posix_spawn), so
// 300 exec'd services took 32 to 49 s to start on a loaded machine, 3.4
// to 4.4 s now. It now
// posix_spawns them, with what the fork's child set up: its own session,
// the service's environment, fds 0, 1, 2 and no other, default signal
// dispositions and an empty mask. No fork is made (the preloaded module
// counts them), and the service is set up as before.
func TestPythonProxySpawnsExecdServices(t *testing.T) {
	dir := t.TempDir()
	marks := filepath.Join(dir, "forks")
	if err := os.Mkdir(marks, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "cfkforkmark.py"), `import os
def _child():
    open(os.path.join(`+strconv.Quote(marks)+`, str(os.getpid())), "w").close()
os.register_at_fork(after_in_child=_child)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkforkmark"))
	p.start(proxywire.Command{Name: "s", Cmd: "echo hi; exec sleep 100", Env: map[string]string{"A": "1"}})
	st := p.waitStatus("s", proxywire.StatusStarted)
	p.waitLog("out:s:hi")
	pid := strconv.Itoa(st.Pid)

	if forks, _ := os.ReadDir(marks); len(forks) > 0 {
		t.Errorf("the proxy forked itself %d times for an exec'd service", len(forks))
	}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if sid := fields[3]; sid != pid { // state ppid pgrp session
		t.Errorf("s (pid %s) is in session %s, want its own", pid, sid)
	}
	// its sh writes hi, then execs sleep, which opens its locale's files
	// at start: an environ read during the exec is empty, an fd list
	// then has them. Read once sleep waits (within a deadline: what
	// stays wrong fails below)
	var vars, names []string
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		env, _ := os.ReadFile("/proc/" + pid + "/environ")
		vars, names = strings.Split(string(env), "\x00"), nil
		fds, err := os.ReadDir("/proc/" + pid + "/fd")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fds {
			names = append(names, f.Name())
		}
		if slices.Contains(vars, "CONTROL_FREAK_SERVICE=s") && len(names) == 3 || time.Now().After(end) {
			break
		}
	}
	for _, want := range []string{"A=1", "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=s"} {
		if !slices.Contains(vars, want) {
			t.Errorf("s's environment lacks %s", want)
		}
	}
	for _, v := range vars {
		if strings.HasPrefix(v, "_CFK_") {
			t.Errorf("s's environment has %s", v)
		}
	}
	if strings.Join(names, ",") != "0,1,2" {
		t.Errorf("s has fds %v, want 0, 1 and 2 only", names)
	}
	status, _ := os.ReadFile("/proc/" + pid + "/status")
	for _, l := range strings.Split(string(status), "\n") {
		// the standard signals (SIGPIPE and SIGXFSZ, which Python
		// ignores, among them); the real-time ones are as the test's
		k, v, _ := strings.Cut(l, ":\t")
		if mask, err := strconv.ParseUint(v, 16, 64); err == nil && (k == "SigIgn" || k == "SigBlk") && mask&(1<<31-1) != 0 {
			t.Errorf("s has %s %s, want no standard signal ignored or blocked", k, v)
		}
	}
	p.stop("s")
	if st := p.waitStatus("s", proxywire.StatusStopped); syscall.WaitStatus(st.ExitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("s stopped %+v, want an end by SIGTERM", st)
	}
}
