//go:build linux && cfkportable

// The portable poller (poller_poll.go) when poll(2) refuses its set:
// Linux's poll(2) refuses more fds than the soft fd limit (EINVAL), which
// these tests lower with prlimit(2). (macOS and FreeBSD refuse by other
// rules: there the tests would not reach the short mode.)

package osproc

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"golang.org/x/sys/unix"
)

// softFdLimiter sets the soft fd limit of the test process; the limit
// it found is set again at the end of the test, and by restore.
func softFdLimiter(t *testing.T) (set func(soft uint64), restore func()) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	set = func(soft uint64) {
		t.Helper()
		if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: soft, Max: old.Max}, nil); err != nil {
			t.Fatal(err)
		}
	}
	restore = func() {
		if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &old, nil); err != nil {
			t.Errorf("restore the fd limit: %v", err)
		}
	}
	t.Cleanup(restore)
	return set, restore
}

// waitLog waits until hook has an entry whose message starts with
// prefix.
func waitLog(t *testing.T, hook *logtest.Hook, prefix string) {
	t.Helper()
	eventually(t, "log "+prefix, func() (bool, string) {
		for _, e := range hook.AllEntries() {
			if strings.HasPrefix(e.Message, prefix) {
				return true, ""
			}
		}
		return false, fmt.Sprint(len(hook.AllEntries()), " entries")
	})
}

const (
	shortStarts = "output poller: cfkd's soft limit of open files ("
	shortEnds   = "output poller: poll(2) takes all its fds again"
)

// cpuTime is the CPU time the test process used so far (not its
// children's).
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// exitText says how a child ended.
func exitText(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return fmt.Sprint("status ", ws.ExitStatus())
}

// A soft fd limit lowered below the fds the launcher's poller polls (the
// child's two pipes and its wake-up): poll(2) refuses the set (EINVAL).
// The poller gave every pipe up, and the child died of SIGPIPE at its
// next write. Now it reads them a part at a time (a limit of 2: the
// wake-up and one pipe a poll), or with reads (a limit of 0: poll takes
// nothing), with no busy loop: the child lives and every line arrives,
// in order; once the limit is back, poll(2) takes the set again.
func TestPollerShortOfFdsReadsOn(t *testing.T) {
	// not parallel: the process's fd limit
	lg := launcher.log.(*logrus.Logger)
	hook := logtest.NewLocal(lg)
	t.Cleanup(func() { lg.ReplaceHooks(make(logrus.LevelHooks)) })
	c := capture(t, Spec{Argv: sh(`i=0; while :; do i=$((i+1)); echo $i; if [ $((i % 10)) = 0 ]; then echo e$i >&2; fi; sleep 0.01; done`)})
	next, nextErr := 1, 10
	// take n more stdout lines (and the stderr lines meanwhile): each
	// the next number
	take := func(what string, n int) {
		t.Helper()
		timeout := time.After(deadline)
		for end := next + n; next < end; {
			select {
			case l := <-c.out:
				if l != strconv.Itoa(next) {
					t.Fatalf("%s: stdout line %q, want %d", what, l, next)
				}
				next++
			case l := <-c.err:
				if l != "e"+strconv.Itoa(nextErr) {
					t.Fatalf("%s: stderr line %q, want e%d", what, l, nextErr)
				}
				nextErr += 10
			case e := <-c.exit:
				t.Fatalf("%s: the child exited (%s) after line %d", what, exitText(e.ws), next-1)
			case <-timeout:
				t.Fatalf("%s: stdout line %d did not come in %v", what, next, deadline)
			}
		}
	}
	take("before", 5)

	set, restore := softFdLimiter(t)
	set(2) // the wake-up and one pipe
	take("limit 2", 30)
	waitLog(t, hook, shortStarts) // it was the short mode that read them

	set(0) // poll(2) takes nothing
	cpu0, t0 := cpuTime(t), time.Now()
	take("limit 0", 30)
	// no busy loop: the poller waits shortRetry when a round read
	// nothing (it takes a few ms of CPU a second; a loop took a core)
	if cpu, wall := cpuTime(t)-cpu0, time.Since(t0); cpu > wall/10 {
		t.Errorf("limit 0: the process used %v of CPU in %v", cpu, wall)
	}
	if n := len(hook.AllEntries()); n != 1 {
		t.Errorf("%d log entries, want the one: %v", n, hook.AllEntries())
	}

	restore()
	waitLog(t, hook, shortEnds)
	take("restored", 10)
	select {
	case e := <-c.exit:
		t.Fatalf("the child exited: %s", exitText(e.ws))
	default:
	}
}

// Many pipes written at once while the soft fd limit lets poll(2) take a
// few of them at a time, one, or none: every line of each arrives, in
// order, every pipe is closed at EOF, and the poller reads a new pipe
// once the limit is back.
func TestPollerShortOfFdsManyPipes(t *testing.T) {
	const pipes, lines = 20, 2000 // 200 KiB a pipe: writers wait for their turn
	for _, soft := range []uint64{5, 1, 0} {
		t.Run(fmt.Sprint("limit ", soft), func(t *testing.T) {
			log := logrus.New()
			log.SetOutput(io.Discard)
			hook := logtest.NewLocal(log)
			p, err := newPoller(log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(sync.OnceFunc(p.stop))
			datas := make([]string, pipes)
			cols := make([]*collector, pipes)
			ws := make([]func() error, pipes)
			writers := make([]func(string) error, pipes)
			for i := range pipes {
				var b strings.Builder
				for j := range lines {
					fmt.Fprintf(&b, "pipe %d line %d %s\n", i, j, strings.Repeat("x", 80))
				}
				datas[i] = b.String()
				cols[i] = newCollector(lines)
				r, w := rawPipe(t)
				if err := p.add(r, cols[i].emit); err != nil {
					t.Fatal(err)
				}
				ws[i] = w.Close
				writers[i] = func(s string) error { _, err := w.WriteString(s); return err }
			}
			set, restore := softFdLimiter(t)
			set(soft)
			var wg sync.WaitGroup
			for i := range pipes {
				wg.Go(func() {
					defer ws[i]()
					for _, c := range chunk(datas[i], len(datas[i])/3, 2*len(datas[i])/3) {
						if err := writers[i](string(c)); err != nil {
							t.Errorf("pipe %d: %v", i, err)
							return
						}
					}
				})
			}
			wg.Wait()
			for i, c := range cols {
				c.wait(t, fmt.Sprint("pipe ", i))
				if got, want := c.get(), refLines(datas[i], MaxLine); !slices.Equal(got, want) {
					t.Fatalf("pipe %d: %d lines, want %d; first difference at %d", i, len(got), len(want), firstDiff(got, want))
				}
			}
			eventually(t, "every pipe is closed", func() (bool, string) {
				n := p.registered()
				return n == 0, fmt.Sprint(n, " pipes left")
			})
			waitLog(t, hook, shortStarts)
			restore()
			waitLog(t, hook, shortEnds)
			r, w := rawPipe(t)
			c := newCollector(1)
			if err := p.add(r, c.emit); err != nil {
				t.Fatal(err)
			}
			w.WriteString("after\n")
			c.wait(t, "a pipe added after")
		})
	}
}

// At a soft fd limit of 0, poll(2) takes no entry, not even the wake-up
// pipe: the short mode's wait was a sleep of shortRetry that no wake-up
// ended, so a stop (cfkd's shutdown), a resume or a new pipe waited for
// it. With that wait an hour long, a stop still ends the poller, and a
// line written meanwhile was read before.
func TestPollerShortOfAllFdsStopsAtOnce(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	p, err := newPollerRetry(log, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	stop := sync.OnceFunc(func() { p.stop(); close(stopped) })
	col := newCollector(1)
	r, w := rawPipe(t)
	if err := p.add(r, col.emit); err != nil {
		t.Fatal(err)
	}
	set, _ := softFdLimiter(t)
	set(0)
	// a read of it makes the next poll(2) fail: the short mode
	if _, err := w.WriteString("one\n"); err != nil {
		t.Fatal(err)
	}
	waitLog(t, hook, shortStarts)
	go stop()
	select {
	case <-stopped:
	case <-time.After(deadline):
		t.Fatalf("the poller did not stop in %v: its wait at a limit of 0 is not woken", deadline)
	}
	if got := col.get(); !slices.Equal(got, []string{"one"}) {
		t.Errorf("lines %q, want one", got)
	}
}
