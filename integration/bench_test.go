package integration

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// benchN is the number of services of the benchmarks (CFK_BENCH_N).
func benchN() int {
	if n, err := strconv.Atoi(os.Getenv("CFK_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 1000
}

// BenchmarkStart starts N `sleep` services through the actor tree until
// every one has a pid, and, in the same iteration, N plain fork/execs of
// the same command (the physical limit). It reports both and their ratio,
// the CPU the tree uses while the N services run idle, and the time
// `command stop all` takes until every service is stopped.
func BenchmarkStart(b *testing.B) {
	n := benchN()
	var baseline, direct, tree, idle, stop time.Duration
	for i := 0; i < b.N; i++ {
		baseline += forkLoop(b, n)
		direct += launchLoop(b, n)
		t, c, st := startThroughTree(b, n)
		tree += t
		idle += c
		stop += st
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(baseline), "forkexec-ms")
	b.ReportMetric(ms(direct), "launcher-ms")
	b.ReportMetric(ms(tree), "cfk-ms")
	b.ReportMetric(float64(tree)/float64(baseline), "ratio")
	b.ReportMetric(ms(idle), "idle-cpu-ms/2s")
	b.ReportMetric(ms(stop), "cfk-stop-ms")
	b.ReportMetric(0, "ns/op")
}

// forkLoop fork/execs n `sleep 1000` (new session, stdio on /dev/null)
// and returns the time it took; the processes are killed after.
func forkLoop(b *testing.B, n int) time.Duration {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	fd := devnull.Fd()
	attr := &syscall.ProcAttr{Files: []uintptr{fd, fd, fd}, Sys: &syscall.SysProcAttr{Setsid: true}}
	pids := make([]int, 0, n)
	defer func() { killAndWait(b, pids) }()
	start := time.Now()
	for i := 0; i < n; i++ {
		pid, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "1000"}, attr)
		if err != nil {
			b.Fatal(err)
		}
		pids = append(pids, pid)
	}
	return time.Since(start)
}

// launchLoop starts n `sleep 1000` with the launcher alone, as a service
// is started (pipes for stdout/stderr, cfkd's environment, PATH lookup,
// new session) but without actors, and returns the time it took.
func launchLoop(b *testing.B, n int) time.Duration {
	pids := make([]int, 0, n)
	defer func() { killAndWait(b, pids) }()
	env := os.Environ()
	discard := func(int, []byte) {}
	start := time.Now()
	for i := 0; i < n; i++ {
		p, err := launcher.Launch(osproc.Spec{Argv: []string{"sleep", "1000"}, Env: env, Setsid: true,
			Stdout: discard, Stderr: discard}, func(int, syscall.WaitStatus) {})
		if err != nil {
			b.Fatal(err)
		}
		pids = append(pids, p.Pid)
	}
	return time.Since(start)
}

func killAndWait(b *testing.B, pids []int) {
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	end := time.Now().Add(30 * time.Second)
	for _, p := range pids {
		for alive(p) {
			if time.Now().After(end) {
				b.Fatalf("pid %d survived SIGKILL", p)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// startThroughTree declares n services, then times `command start all`
// until every service has a pid; it then waits for all to be running,
// measures the tree's CPU use over 2 idle seconds, times `command stop
// all` until every service is stopped, and shuts down.
func startThroughTree(b *testing.B, n int) (took, idleCPU, stopTook time.Duration) {
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	tree, err := actors.Start(actors.Options{Launcher: newTreeLauncher(), Log: quiet, ServiceLog: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Stop()
	var started, running, stopped atomic.Int64
	allStarted, allRunning, allStopped := make(chan struct{}), make(chan struct{}), make(chan struct{})
	sub := tree.System.EventStream.Subscribe(func(ev any) {
		if e, ok := ev.(messages.ServiceStateChanged); ok {
			switch {
			case e.To == messages.Starting && e.Pid > 0:
				if started.Add(1) == int64(n) {
					close(allStarted)
				}
			case e.To == messages.Running:
				if running.Add(1) == int64(n) {
					close(allRunning)
				}
			case e.To == messages.Stopped:
				if stopped.Add(1) == int64(n) {
					close(allStopped)
				}
			}
		}
	})
	defer tree.System.EventStream.Unsubscribe(sub)
	defer func() {
		if r := tree.Exec("command shutdown", time.Minute); r.Err != nil {
			b.Errorf("shutdown: %v", r.Err)
		}
	}()
	for i := 0; i < n; i++ {
		for _, l := range []string{fmt.Sprintf("service s%d cmd=sleep 1000", i), fmt.Sprintf("service s%d startwait_secs=0.1", i)} {
			if r := tree.Exec(l, time.Minute); r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	start := time.Now()
	if r := tree.Exec("command start all", time.Minute); r.Err != nil || r.Lines[0] != fmt.Sprintf("done %d", n) {
		b.Fatalf("start all: %v %q", r.Err, r.Lines)
	}
	waitClosed(b, allStarted, "every service to have a pid")
	took = time.Since(start)
	waitClosed(b, allRunning, "every service to be running")
	before := testkit.CPUTime()
	time.Sleep(2 * time.Second) // the measurement window itself
	idleCPU = testkit.CPUTime() - before
	start = time.Now()
	if r := tree.Exec("command stop all", time.Minute); r.Err != nil {
		b.Fatalf("stop all: %v", r.Err)
	}

	waitClosed(b, allStopped, "every service to be stopped")
	stopTook = time.Since(start)
	return took, idleCPU, stopTook
}

func waitClosed(b *testing.B, ch chan struct{}, what string) {
	select {
	case <-ch:
	case <-time.After(2 * time.Minute):
		b.Fatalf("timed out waiting for %s", what)
	}
}
