package osproc

import (
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	p, ok := parseStat(42, []byte("42 (a) b) (c) S 7 42 42 0 -1 4194560 ...\n"))
	if !ok || p.Comm != "a) b) (c" || p.State != 'S' || p.Ppid != 7 || p.Pgid != 42 {
		t.Fatalf("parseStat: %+v %v", p, ok)
	}
	for _, bad := range []string{"", "42 (x", "42 (x) ", "42 (x) S y 1"} {
		if _, ok := parseStat(42, []byte(bad)); ok {
			t.Errorf("parseStat(%q) ok", bad)
		}
	}
	if p, ok := ReadProc(os.Getpid()); !ok || p.Ppid != os.Getppid() {
		t.Fatalf("ReadProc(self): %+v %v", p, ok)
	}
	if v, ok := Getenv([]string{"A=1", "B=2", "A=3"}, "A"); !ok || v != "3" {
		t.Fatalf("Getenv: %q %v", v, ok)
	}
}

// TestAdoptedOrphans: a daemon left by a child that exited is adopted by
// the test process (New made it a subreaper), listed with its service,
// and KillOrphans ends it; the child itself, launched, is never listed.
func TestAdoptedOrphans(t *testing.T) {
	exited := make(chan struct{})
	env := append(os.Environ(), "CONTROL_FREAK_SERVICE=orph")
	p, err := launcher.Launch(Spec{Argv: []string{"/bin/sh", "-c", "setsid sleep 1000 & sleep 1000"}, Env: env, Setsid: true},
		func(int, syscall.WaitStatus) { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	defer launcher.Signal(p, syscall.SIGKILL)
	var daemon int
	deadline := time.Now().Add(10 * time.Second)
	for daemon == 0 { // the sleep forked by the shell, still its child
		for _, pid := range Pids() {
			if q, ok := ReadProc(pid); ok && q.Ppid == p.Pid && q.Pgid == pid && q.Comm == "sleep" {
				daemon = pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no daemon forked")
		}
		time.Sleep(10 * time.Millisecond)
	}
	defer syscall.Kill(daemon, syscall.SIGKILL)
	for _, o := range launcher.AdoptedOrphans() {
		if o.Pid == p.Pid || o.Pid == daemon {
			t.Fatalf("listed before it is an orphan: %+v", o)
		}
	}
	launcher.Signal(p, syscall.SIGTERM) // the shell's group, not the daemon's session
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not exit")
	}
	var found []Orphan
	real := listChildren
	defer func() { listChildren = real }()
	for _, scan := range []bool{true, false} { // the children files, then the scan of /proc
		if !scan {
			listChildren = func() ([]int, bool) { return nil, false }
		}
		found = found[:0]
		for _, o := range launcher.AdoptedOrphans() {
			if o.Pid == daemon {
				found = append(found, o)
			}
		}
		listChildren = real
		if len(found) != 1 || found[0].Service != "orph" || found[0].Comm != "sleep" {
			t.Fatalf("orphans %+v (scan %v), want the daemon %d of orph", found, scan, daemon)
		}
	}
	killed, survived := launcher.KillOrphans(found, time.Second)
	if len(killed) != 0 || len(survived) != 0 {
		t.Fatalf("killed %v survived %v: SIGTERM should do", killed, survived)
	}
	if q, ok := ReadProc(daemon); ok && q.State != 'Z' && q.State != 'X' { // X: dead, being reaped
		t.Fatalf("the daemon lives on: %+v", q)
	}
}

// An adopted orphan that ignores SIGTERM gets SIGKILL after the grace,
// and its exit ends the wait (a pidfd turning readable, or the reaper
// reaping it: nopidfd.go), long before a second grace.
func TestKillOrphansSigkill(t *testing.T) {
	exited := make(chan struct{})
	env := append(os.Environ(), "CONTROL_FREAK_SERVICE=stubborn")
	// the daemon leaves the shell's group and ignores TERM (the trap is
	// set once it is a sleep); the shell exits at once
	p, err := launcher.Launch(Spec{Argv: sh(`setsid sh -c 'trap "" TERM; exec sleep 1000' & exit 0`),
		Env: env, Setsid: true}, func(int, syscall.WaitStatus) { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	defer launcher.Signal(p, syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(deadline):
		t.Fatal("the shell did not exit")
	}
	var found []Orphan
	eventually(t, "the daemon is adopted, sleeping", func() (bool, string) {
		found = found[:0]
		for _, o := range launcher.AdoptedOrphans() {
			if o.Service == "stubborn" && o.Comm == "sleep" {
				found = append(found, o)
			}
		}
		return len(found) == 1, fmt.Sprint(found)
	})
	defer syscall.Kill(found[0].Pid, syscall.SIGKILL)
	start := time.Now()
	killed, survived := launcher.KillOrphans(found, 300*time.Millisecond)
	if len(survived) != 0 || !slices.Equal(killed, []int{found[0].Pid}) {
		t.Fatalf("killed %v survived %v, want %d killed", killed, survived, found[0].Pid)
	}
	if el := time.Since(start); el < 300*time.Millisecond || el > 300*time.Millisecond+deadline/2 {
		t.Fatalf("KillOrphans took %v", el)
	}
	if q, ok := ReadProc(found[0].Pid); ok && q.State != 'Z' && q.State != 'X' { // X: dead, being reaped
		t.Fatalf("the daemon lives on: %+v", q)
	}
}

// Children lists the test process's children (launched or adopted), each
// a child of it, from the kernel's lists (Linux has them here).
func TestChildren(t *testing.T) {
	exited := make(chan struct{})
	p, err := launcher.Launch(Spec{Argv: []string{"sleep", "1000"}}, func(int, syscall.WaitStatus) { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		launcher.Signal(p, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(deadline):
			t.Error("the sleep was not reaped")
		}
	}()
	pids, ok := Children()
	if !ProcFS {
		if ok || len(pids) > 0 {
			t.Fatalf("Children without /proc: %v %v", pids, ok)
		}
		return
	}
	if !ok {
		t.Skip("no /proc/self/task/TID/children here")
	}
	if !slices.Contains(pids, p.Pid) {
		t.Fatalf("Children %v: no %d", pids, p.Pid)
	}
	for _, pid := range pids {
		if q, ok := ReadProc(pid); ok && q.Ppid != os.Getpid() {
			t.Errorf("Children lists %d, a child of %d", pid, q.Ppid)
		}
	}
}

// BenchmarkAdoptedOrphans: one AdoptedOrphans with 1,000 launched
// children (none an orphan), from the kernel's lists of children against
// the scan of every /proc/PID/stat, in the same run:
//
//	go test -run '^$' -bench AdoptedOrphans ./osproc/
func BenchmarkAdoptedOrphans(b *testing.B) {
	const n = 1000
	exited := make(chan struct{}, n)
	var procs []*Process
	defer func() {
		for _, p := range procs {
			launcher.Signal(p, syscall.SIGKILL)
		}
		for range procs {
			select {
			case <-exited:
			case <-time.After(deadline):
				b.Fatal("the sleeps were not all reaped")
			}
		}
	}()
	for range n {
		p, err := launcher.Launch(Spec{Argv: []string{"sleep", "1000"}}, func(int, syscall.WaitStatus) { exited <- struct{}{} })
		if err != nil {
			b.Fatal(err)
		}
		procs = append(procs, p)
	}
	for _, scan := range []bool{false, true} {
		b.Run(fmt.Sprintf("scan=%v", scan), func(b *testing.B) {
			if scan {
				real := listChildren
				listChildren = func() ([]int, bool) { return nil, false }
				defer func() { listChildren = real }()
			}
			for b.Loop() {
				if o := launcher.AdoptedOrphans(); len(o) > 0 {
					b.Fatalf("orphans %v", o)
				}
			}
		})
	}
}
