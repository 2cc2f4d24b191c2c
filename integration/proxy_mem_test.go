package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
)

// memWorkers is how many workers each group runs.
const memWorkers = 10

// memDeadline bounds the wait for the direct workers: each makes 64 MiB
// of random bytes (about a second of CPU), ten at once on two cores.
const memDeadline = time.Minute

// memModule is preloaded by the proxy and imported by each direct worker:
// one 64 MiB bytes object (random, so that no page is a zero page or
// merged), which a worker never touches, so its pages stay shared after
// fork (a bytes object has no pointers and is not tracked by the cycle
// collector; its refcount sits in its first page only).
const memModule = `
import os, sys, time
DATA = os.urandom(64 << 20)

def worker():
    print("ready", flush=True)
    time.sleep(300)
`

// TestProxySharesMemory measures what the preload proxy is for: 10
// workers forked from a proxy that loaded 64 MiB once, against 10 workers
// that each load it themselves, summing Private_Clean + Private_Dirty of
// each group from /proc/PID/smaps_rollup. Run it alone with
//
//	go test -run TestProxySharesMemory -v ./integration/
func TestProxySharesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 21 Python processes holding 64 MiB each")
	}
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skip("no /proc/PID/smaps_rollup on this kernel")
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkbig.py"), memModule)

	// proxied: the proxy loads the module once, forks the workers
	p := startProxy(t, pythonProxy(t, dir, "cfkbig"))
	p.waitLog("out:-:preloaded cfkbig")
	for i := range memWorkers {
		p.start(proxywire.Command{Name: fmt.Sprint("w", i), Cmd: "cfkbig:worker"})
	}
	var proxied []int
	for i := range memWorkers {
		p.waitLog(fmt.Sprintf("out:w%d:ready", i))
		proxied = append(proxied, p.waitStatus(fmt.Sprint("w", i), proxywire.StatusStarted).Pid)
	}

	// direct: each worker loads the module itself
	direct := startDirectWorkers(t, dir, memWorkers)

	proxiedKB, directKB := privateKB(t, proxied), privateKB(t, direct)
	proxyKB := privateKB(t, []int{p.proc.Pid})
	ratio := float64(proxiedKB) / float64(directKB)
	t.Logf("private memory of %d workers: proxied %d kB (%.1f MiB; the proxy itself %d kB more), direct %d kB (%.1f MiB), ratio %.3f",
		memWorkers, proxiedKB, float64(proxiedKB)/1024, proxyKB, directKB, float64(directKB)/1024, ratio)
	if proxiedKB*4 >= directKB {
		t.Errorf("proxied workers use %d kB private, direct ones %d kB: not under a quarter", proxiedKB, directKB)
	}
	if (proxiedKB+proxyKB)*4 >= directKB {
		t.Errorf("proxied workers plus the proxy use %d kB private, direct workers %d kB: not under a quarter", proxiedKB+proxyKB, directKB)
	}
}

// startDirectWorkers starts n Python workers through the launcher, each
// importing the module itself, and waits until each says ready. They are
// killed when the test ends.
func startDirectWorkers(t *testing.T, dir string, n int) []int {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH")
	}
	var (
		mu      sync.Mutex
		ready   = map[int]bool{}
		changed = make(chan struct{}, 1)
		procs   []*osproc.Process
		exits   = make(chan int, n)
	)
	t.Cleanup(func() {
		for _, proc := range procs {
			launcher.Signal(proc, syscall.SIGKILL)
		}
		timeout := time.After(deadline)
		for range procs {
			select {
			case <-exits:
			case <-timeout:
				t.Errorf("direct workers not reaped within %v", deadline)
				return
			}
		}
	})
	for range n {
		proc, err := launcher.Launch(osproc.Spec{
			Argv:   []string{py, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import cfkbig; cfkbig.worker()", dir},
			Env:    append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1"),
			Setsid: true,
			Stdout: func(pid int, line []byte) {
				if string(line) == "ready" {
					mu.Lock()
					ready[pid] = true
					mu.Unlock()
					select {
					case changed <- struct{}{}:
					default:
					}
				}
			},
			Stderr: testLogger(t, "direct worker stderr"),
		}, func(pid int, _ syscall.WaitStatus) { exits <- pid })
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, proc)
	}
	timeout := time.After(memDeadline)
	for {
		mu.Lock()
		k := len(ready)
		mu.Unlock()
		if k == n {
			break
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("only %d of %d direct workers ready after %v", k, n, memDeadline)
		}
	}
	pids := make([]int, len(procs))
	for i, proc := range procs {
		pids[i] = proc.Pid
	}
	return pids
}

// privateKB sums Private_Clean + Private_Dirty over pids.
func privateKB(t *testing.T, pids []int) int {
	t.Helper()
	total := 0
	for _, pid := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		found := 0
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok || (k != "Private_Clean" && k != "Private_Dirty") {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("pid %d: %s: %q", pid, k, v)
			}
			total += n
			found++
		}
		f.Close()
		if found != 2 {
			t.Fatalf("pid %d: Private_Clean/Private_Dirty not in smaps_rollup", pid)
		}
	}
	return total
}
