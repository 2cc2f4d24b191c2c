package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/logconf"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// blockedInWrite reports whether pid sleeps in write(2): a writer whose
// pipe is full.
func blockedInWrite(pid int) bool {
	sc, err := os.ReadFile(fmt.Sprintf("/proc/%d/syscall", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(sc))
	if len(f) == 0 || f[0] != strconv.Itoa(unix.SYS_WRITE) {
		return false // "running", or another system call
	}
	p, ok := readStat(pid)
	return ok && p.state == "S"
}

// written is the bytes pid has written so far (wchar of /proc/PID/io).
func written(pid int) (int64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// blockedDestination starts a tree whose log configuration is conf, in a
// temporary directory (dir) holding stuck.fifo: a FIFO whose reader (rd,
// non-blocking) does not read until the test does, so that cfkd can open
// it and its writes block once the FIFO's buffer is full. Everything is
// closed when the test ends. opts set more of the tree's options.
func blockedDestination(t *testing.T, conf string, opts ...func(*actors.Options)) (dir string, rd *os.File, router *logconf.Router, tree *actors.Tree) {
	t.Helper()
	dir = t.TempDir()
	fifo := filepath.Join(dir, "stuck.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	log, svcLog := logrus.New(), logrus.New()
	router = logconf.NewRouter(dir, log, svcLog)
	t.Cleanup(func() { router.Close() })
	cfg, err := logconf.Parse("log.config", strings.NewReader(conf))
	if err != nil {
		t.Fatal(err)
	}
	if err := router.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	o := actors.Options{Launcher: newTreeLauncher(), Log: log, ServiceLog: svcLog, Lines: router}
	for _, f := range opts {
		f(&o)
	}
	tree, err = actors.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tree.Stop)
	return dir, rd, router, tree
}

// A service whose log destination blocks (a FIFO whose reader never
// reads) is stalled in its own write(2), and nothing else is: another
// service's lines reach their file, cfkd's events theirs, the tree
// answers at once; once the FIFO is read again, the service goes on
// (REFERENCE §6.2).
func TestBlockedLogDestinationStallsOnlyItsService(t *testing.T) {
	dir, rd, router, tree := blockedDestination(t,
		"level = info\ncfkd = file:cfkd.log\nservices = file:all.log\nservice.flood = file:stuck.fifo\n")
	exec := func(line string, timeout time.Duration) []string {
		t.Helper()
		r := tree.Exec(line, timeout)
		if r.Err != nil {
			t.Fatalf("%q: %v", line, r.Err)
		}
		return r.Lines
	}
	var pids []int
	defer func() {
		tree.Exec("command shutdown", deadline)
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("pid %d alive after shutdown", pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}()
	pidOf := func(name string) int {
		t.Helper()
		for _, l := range exec("command pids service "+name, deadline) {
			if p, ok := strings.CutPrefix(l, name+": "); ok {
				pid, err := strconv.Atoi(p)
				if err == nil {
					pids = append(pids, pid)
					return pid
				}
			}
		}
		t.Fatalf("no pid for %s", name)
		return 0
	}
	poll := func(what string, cond func() bool) {
		t.Helper()
		end := time.Now().Add(deadline)
		for !cond() {
			if time.Now().After(end) {
				t.Fatalf("%s: not after %v", what, deadline)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	fileHas := func(name, s string) func() bool {
		return func() bool {
			b, err := os.ReadFile(filepath.Join(dir, name))
			return err == nil && bytes.Contains(b, []byte(s))
		}
	}

	exec("service flood cmd=yes a line of the flood, over and over", deadline)
	exec("service flood startwait_secs=0", deadline)
	exec("command start service flood", deadline)
	flood := pidOf("flood")
	// A writer faster than its reader waits in write(2) now and then
	// anyway: the hold is when it stays there, having written nothing
	// for a while, once the FIFO, then the queue, then its pipe are full.
	// A record here is 99 bytes for a line of 35 (its head: time, pid,
	// level, category), so the 64 KiB of the FIFO and the 256 KiB the
	// queue holds before it holds the pipe are 113 KiB of the service's
	// output, and its pipe at least 56 KiB more: the hold comes after
	// heldAfter at least. Before that, a writer in write(2) for a while is
	// one whose reader was not scheduled (a loaded machine: seen in CI,
	// blocked in its first write for 200 ms), not one held.
	const heldAfter = 144 << 10
	var stuckAt int64
	var since time.Time
	poll("the flooding service held in write(2)", func() bool {
		w, ok := written(flood)
		if !ok || w < heldAfter || !blockedInWrite(flood) || w != stuckAt {
			stuckAt, since = w, time.Now()
			return false
		}
		return time.Since(since) >= 200*time.Millisecond
	})
	t.Logf("the flooding service held after %d bytes written", stuckAt)

	// everything else goes on
	t0 := time.Now()
	exec(`service chatty cmd=sh -c 'for i in $(seq 0 999); do echo chatty $i; done; exec sleep 100'`, time.Second)
	exec("service chatty startwait_secs=0", time.Second)
	exec("command start service chatty", time.Second)
	pidOf("chatty")
	poll("the other service's lines in all.log", fileHas("all.log", "chatty 999"))
	poll("cfkd's event in cfkd.log", fileHas("cfkd.log", "starting chatty"))
	t.Logf("another service started and its 1000 lines logged in %v", time.Since(t0))
	var rtts []time.Duration
	for range 50 {
		t1 := time.Now()
		if lines := exec("command status", time.Second); len(lines) != 2 {
			t.Fatalf("status: %q", lines)
		}
		rtts = append(rtts, time.Since(t1))
	}
	sort.Slice(rtts, func(i, j int) bool { return rtts[i] < rtts[j] })
	t.Logf("command status while a destination blocks: p50 %v, max %v", rtts[len(rtts)/2], rtts[len(rtts)-1])
	if rtts[len(rtts)/2] > 100*time.Millisecond {
		t.Errorf("command status p50 %v while a destination blocks", rtts[len(rtts)/2])
	}
	if w, _ := written(flood); !blockedInWrite(flood) || w != stuckAt {
		t.Errorf("the flooding service is no longer held (%d bytes written, %d when held), though nothing reads its destination", w, stuckAt)
	}
	if d := router.Dropped(); len(d) != 0 {
		t.Errorf("records dropped: %v (the service should wait instead)", d)
	}

	// the FIFO is read again: the held pipe is resumed, the flood goes on
	// (far more than what the queue and the pipes held)
	var read atomic.Int64
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := rd.Read(buf) // in Go's poller: waits for data
			read.Add(int64(n))
			if err != nil { // EOF once cfkd closed it, or closed here
				return
			}
		}
	}()
	poll("the flood through the FIFO once it is read", func() bool { return read.Load() > 8<<20 })
}
