package osproc

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// launcher is the one Launcher of the test process (at most one may be open).
var launcher *Launcher

// inheritedFd is an fd opened without close-on-exec before New, like one
// cfkd inherits from its parent: no child may see it.
var inheritedFd = -1

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		runHelper(mode) // a child started by a test; exits
	}
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	inheritedFd = fd

	log := logrus.New()
	log.SetOutput(io.Discard)
	l, err := New(log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "osproc.New:", err)
		os.Exit(2)
	}
	launcher = l

	code := m.Run()

	// Children that exited just now may still wait for the reaper: give it
	// a moment, then nothing may be left.
	left := childrenLeft(5 * time.Second)
	l.Close()
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "osproc tests left child processes behind: %v\n", left)
		for _, p := range left {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
		for _, p := range left { // the reaper is closed: reap them here
			var ws syscall.WaitStatus
			syscall.Wait4(p.pid, &ws, 0, nil)
		}
		code = 1
	}
	syscall.Close(inheritedFd)
	os.Exit(code)
}

// childrenLeft waits up to d for the test process to have no child, and
// returns those still there.
func childrenLeft(d time.Duration) []procStat {
	deadline := time.Now().Add(d)
	for {
		kids := children(os.Getpid())
		if len(kids) == 0 || time.Now().After(deadline) {
			return kids
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procStat is the part of /proc/PID/stat the tests look at.
type procStat struct {
	pid, ppid, pgrp, sid int
	state                byte
	comm                 string
}

func (p procStat) String() string {
	return fmt.Sprintf("%d(%s,%c,ppid=%d,pgrp=%d)", p.pid, p.comm, p.state, p.ppid, p.pgrp)
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	// pid (comm) state ppid pgrp session ...; comm may hold spaces and ')'
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("bad stat %q", b)
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 4 {
		return procStat{}, fmt.Errorf("bad stat %q", b)
	}
	p := procStat{pid: pid, state: f[0][0], comm: string(b[open+1 : end])}
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgrp, _ = strconv.Atoi(f[2])
	p.sid, _ = strconv.Atoi(f[3])
	return p, nil
}

// allProcs lists the processes of the system (those that vanish while
// scanning are skipped).
func allProcs() []procStat {
	ents, _ := os.ReadDir("/proc")
	var ps []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readStat(pid); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// children lists the children of ppid, but the launcher's fork server
// (spawn_linux.go), which lives as long as the launcher.
func children(ppid int) []procStat {
	var out []procStat
	for _, p := range allProcs() {
		if p.ppid == ppid && (launcher == nil || launcher.server == nil || p.pid != launcher.server.pid) {
			out = append(out, p)
		}
	}
	return out
}

func inGroup(pgrp int) []procStat {
	var out []procStat
	for _, p := range allProcs() {
		if p.pgrp == pgrp {
			out = append(out, p)
		}
	}
	return out
}
