package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// launcher is the one Launcher (and reaper) of the test process.
var launcher *osproc.Launcher

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) { // run by a test as a service
	case "activated":
		os.Exit(activatedMain())
	case "sockcat":
		os.Exit(sockcatMain(os.Args[1:]))
	case "writer":
		os.Exit(writerMain(os.Args[1:]))
	}
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	var err error
	if launcher, err = osproc.New(log); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	if cfkProxyBuild.dir != "" {
		os.RemoveAll(cfkProxyBuild.dir)
	}
	if left := children(launcher.ForkServerPid()); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "integration: processes left behind: %v (killed now)\n", left)
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
		code = 1
	}
	launcher.Close()
	os.Exit(code)
}

// children lists the live (non-zombie) child processes of the test
// process, but the launcher's fork server (not of the tests').
func children(server int) []int {
	var out []int
	me := os.Getpid()
	for _, p := range procs() {
		if p.ppid == me && p.state != "Z" && p.pid != server {
			out = append(out, p.pid)
		}
	}
	return out
}

type procInfo struct {
	pid, ppid, pgid int
	state           string
}

// procs reads /proc/*/stat.
func procs() []procInfo {
	ents, _ := os.ReadDir("/proc")
	var out []procInfo
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readStat(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

func readStat(pid int) (procInfo, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procInfo{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 4 {
		return procInfo{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	return procInfo{pid: pid, ppid: ppid, pgid: pgid, state: f[0]}, true
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	p, ok := readStat(pid)
	return ok && p.state != "Z"
}

// group lists the live processes of process group pgid.
// waitGroupGone fails the test unless process group pgid has no live
// member within the deadline: its members get the group's signal with
// its leader, but may die and be reaped a moment later.
func waitGroupGone(t *testing.T, name string, pgid int) {
	t.Helper()
	end := time.Now().Add(deadline)
	for len(group(pgid)) != 0 {
		if time.Now().After(end) {
			t.Errorf("%s: group %d still has %v after %v", name, pgid, group(pgid), deadline)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func group(pgid int) []int {
	var out []int
	for _, p := range procs() {
		if p.pgid == pgid && p.state != "Z" {
			out = append(out, p.pid)
		}
	}
	return out
}
