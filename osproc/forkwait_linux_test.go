//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/nss"
	"github.com/sirupsen/logrus"
)

// killLate is the onLate of the tests that call forkExec themselves: a
// late child is killed (the reaper reaps it).
func killLate(pid int, _ error) {
	if pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// logEvents sends the entries the launcher logs, with their pid, to a
// channel, until the test ends.
func logEvents(t *testing.T) <-chan logEvent {
	t.Helper()
	logger, ok := launcher.log.(*logrus.Logger)
	if !ok {
		t.Fatalf("the launcher's log is a %T", launcher.log)
	}
	ch := make(chan logEvent, 64)
	logger.AddHook(hookFunc(func(e *logrus.Entry) {
		pid, _ := e.Data["pid"].(int)
		select {
		case ch <- logEvent{msg: e.Message, pid: pid}:
		default:
		}
	}))
	t.Cleanup(func() { logger.ReplaceHooks(make(logrus.LevelHooks)) })
	return ch
}

type logEvent struct {
	msg string
	pid int
}

type hookFunc func(*logrus.Entry)

func (hookFunc) Levels() []logrus.Level       { return logrus.AllLevels }
func (h hookFunc) Fire(e *logrus.Entry) error { h(e); return nil }

// A child whose chdir or execve hangs (its cwd or program on an NFS or
// FUSE mount that hung after cfkd's stats) held Launch for ever in its
// receive of the fork server's reply: a fork slot taken, the service's
// start unanswered, and its stop, destroy and cfkd's shutdown with it.
// The stand-in here is the fork server itself stopped (SIGSTOP): its
// replies do not come, as when its thread waits in the vfork of such a
// child. Launch now gives up after forkTimeout with an *nss.TimeoutError
// naming the exec (cfkd's trouble, REFERENCE §2.1); the same fork again
// fails at once, without taking another connection; once every
// connection waits for a late reply, any start fails at once. When the
// replies come, each child is killed and reaped, and every connection
// is free again.
func TestLateForkReplyIsBounded(t *testing.T) {
	s := launcher.server
	if s == nil || s.dead.Load() {
		t.Fatal("the launcher has no live fork server")
	}
	old := forkTimeout
	forkTimeout = 300 * time.Millisecond
	events := logEvents(t)
	resume := stopForkServer(t, s, func() { forkTimeout = old })

	launch := func(spec Spec) (error, time.Duration) {
		t.Helper()
		done := make(chan error, 1)
		begin := time.Now()
		go func() {
			p, err := launcher.Launch(spec, func(int, syscall.WaitStatus) {})
			if p != nil {
				launcher.Signal(p, syscall.SIGKILL)
			}
			done <- err
		}()
		select {
		case err := <-done:
			return err, time.Since(begin)
		case <-time.After(10 * time.Second):
			t.Fatalf("Launch(%q in %q) did not return in 10s", spec.Argv, spec.Dir)
			return nil, 0
		}
	}
	isTimeout := func(err error, want string) {
		t.Helper()
		var te *nss.TimeoutError
		if !errors.As(err, &te) || err.Error() != want {
			t.Fatalf("Launch: %v (%T), want an *nss.TimeoutError %q", err, err, want)
		}
	}
	late := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.late)
	}

	// one directory per fork: each is another fork, on another connection
	dirs := make([]string, cap(s.conns))
	for i := range dirs {
		dirs[i] = filepath.Join(t.TempDir(), fmt.Sprint(i))
		if err := os.Mkdir(dirs[i], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := func(i int) Spec {
		return Spec{Argv: []string{"/bin/sleep", "100"}, Dir: dirs[i], Setsid: true, Tag: "service:late"}
	}
	want := func(i int) string {
		return "exec of /bin/sleep (cwd " + dirs[i] + ") did not answer within 300ms"
	}
	err, took := launch(spec(0))
	isTimeout(err, want(0))
	if took < forkTimeout {
		t.Fatalf("gave up after %v, before forkTimeout", took)
	}
	if n := late(); n != 1 {
		t.Fatalf("%d connections wait for a late reply, want 1", n)
	}
	// at once: a launch that waited would take forkTimeout at every try;
	// one stalled that long by a loaded machine (-race, 2 cores) is tried
	// again
	atOnce := func(what string, spec Spec, want string, wantLate int) {
		t.Helper()
		for try := 1; ; try++ {
			err, took := launch(spec)
			isTimeout(err, want)
			if n := late(); n != wantLate {
				t.Fatalf("%s: %d connections wait for a late reply, want %d", what, n, wantLate)
			}
			if took < forkTimeout {
				return
			}
			if try == 3 {
				t.Fatalf("%s failed after %v, not at once (3 tries)", what, took)
			}
			t.Logf("%s: try %d failed after %v: again", what, try, took)
		}
	}
	// the same fork again: at once, and no other connection taken
	atOnce("the same fork again", spec(0), want(0), 1)
	for i := 1; i < len(dirs); i++ {
		err, _ := launch(spec(i))
		isTimeout(err, want(i))
	}
	// no connection left but late ones: a start fails at once
	atOnce("a start with every connection late", Spec{Argv: []string{"/bin/true"}},
		fmt.Sprintf("fork server (its %d connections busy, %d with execs that did not answer: /bin/sleep) did not answer within 300ms", len(dirs), len(dirs)), len(dirs))

	// the replies come: each child killed, then reaped
	resume()
	killed, reaped := map[int]bool{}, map[int]bool{}
	for end := time.After(10 * time.Second); len(reaped) < len(dirs); {
		select {
		case e := <-events:
			switch {
			case strings.HasPrefix(e.msg, "the child of a launch given up"):
				killed[e.pid] = true
			case e.msg == "reaped the child of a launch given up":
				if !killed[e.pid] {
					t.Fatalf("pid %d reaped, not killed first", e.pid)
				}
				reaped[e.pid] = true
			case strings.Contains(e.msg, "launch given up"):
				t.Fatalf("unexpected log: %q (pid %d)", e.msg, e.pid)
			}
		case <-end:
			t.Fatalf("after 10s: killed %v, reaped %v; want %d of each", killed, reaped, len(dirs))
		}
	}
	for pid := range reaped {
		if st, err := readStat(pid); err == nil && st.ppid == os.Getpid() {
			t.Errorf("pid %d is still a child of ours (%c)", pid, st.state)
		}
	}
	// each connection came back before its child was killed
	if n, free := late(), len(s.conns); n != 0 || free != cap(s.conns) {
		t.Fatalf("%d late, %d free of %d connections; want all free", n, free, cap(s.conns))
	}
	if s.dead.Load() {
		t.Fatal("the fork server was given up")
	}
	c := start(t, Spec{Argv: sh("exit 3")})
	if ws := c.wait(t); !ws.Exited() || ws.ExitStatus() != 3 {
		t.Fatalf("status %v, want exit 3", ws)
	}
}

// A start that finds no free connection waits forkTimeout at most for
// one (it waited for ever), and takes one that comes back meanwhile.
func TestForkConnectionWaitIsBounded(t *testing.T) {
	old := forkTimeout
	forkTimeout = 100 * time.Millisecond
	t.Cleanup(func() { forkTimeout = old })
	s := &forkServer{conns: make(chan int, 2), late: map[int]lateKey{}}
	fork := lateKey{path: "/bin/true"}
	begin := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := s.takeConn(fork, s.wait())
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		s.conns <- 7 // the test's end ends it
		t.Fatal("takeConn did not return in 10s")
	}
	if want := "fork server (its 2 connections busy) did not answer within 100ms"; err == nil || err.Error() != want {
		t.Fatalf("takeConn: %v, want %s", err, want)
	}
	if took := time.Since(begin); took < forkTimeout {
		t.Fatalf("gave up after %v, before forkTimeout", took)
	}
	forkTimeout = time.Minute
	go func() { s.conns <- 7 }()
	if conn, err := s.takeConn(fork, s.wait()); conn != 7 || err != nil {
		t.Fatalf("takeConn: %d, %v; want 7, the connection given back", conn, err)
	}
}

// While a fork whose exec did not answer was under way (here the fork
// server is stopped, as in TestLateForkReplyIsBounded), the reaper kept
// the exit of every orphan, one entry each, without bound: such a fork
// may never end. It keeps fewer than 2×maxLateExits of them, and the
// late fork's child is still killed and reaped at its reply.
func TestOrphanExitsWhileAForkHangsAreBounded(t *testing.T) {
	s := launcher.server
	if s == nil || s.dead.Load() {
		t.Fatal("the launcher has no live fork server")
	}
	oldTimeout, oldMax := forkTimeout, maxLateExits
	forkTimeout, maxLateExits = 300*time.Millisecond, 4
	events := logEvents(t)
	resume := stopForkServer(t, s, func() { forkTimeout, maxLateExits = oldTimeout, oldMax })
	p, err := launcher.Launch(Spec{Argv: []string{"/bin/sleep", "100"}, Setsid: true, Tag: "service:late"}, func(int, syscall.WaitStatus) {})
	if p != nil {
		launcher.Signal(p, syscall.SIGKILL)
	}
	var te *nss.TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("Launch: %v, want the fork late", err)
	}
	launcher.mu.RLock()
	from := launcher.earlyN
	launcher.mu.RUnlock()
	// 40 orphans that exit, left by a shell that is no launch of ours (each
	// forked by a subshell that ends at once: the shell, which reaps its
	// own children, never has them)
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	fd := null.Fd()
	if _, err := syscall.ForkExec("/bin/sh", sh("i=0; while [ $i -lt 40 ]; do (sleep 0.2 &); i=$((i+1)); done"),
		&syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{fd, fd, fd}}); err != nil {
		t.Fatal(err)
	}
	// three times the bound at least (a loaded machine may refuse some
	// of the shell's forks)
	eventually(t, "the exits of the shell and its orphans", func() (bool, string) {
		launcher.mu.RLock()
		defer launcher.mu.RUnlock()
		return launcher.earlyN-from >= uint64(3*maxLateExits), fmt.Sprintf("%d exits kept of %d", len(launcher.early), launcher.earlyN-from)
	})
	launcher.mu.RLock()
	kept := len(launcher.early)
	launcher.mu.RUnlock()
	if kept >= 2*maxLateExits {
		t.Fatalf("%d exits kept while only a late fork is under way, want fewer than %d", kept, 2*maxLateExits)
	}
	// the reply comes: its child killed, then reaped; nothing kept
	resume()
	for end := time.After(10 * time.Second); ; {
		select {
		case e := <-events:
			if e.msg != "reaped the child of a launch given up" {
				continue
			}
		case <-end:
			t.Fatal("the child of the late fork was not reaped in 10s")
		}
		break
	}
	eventually(t, "no exit kept", func() (bool, string) {
		launcher.mu.RLock()
		defer launcher.mu.RUnlock()
		return len(launcher.early) == 0 && launcher.inflight == 0 && launcher.late == 0,
			fmt.Sprintf("%d kept, %d forks under way, %d late", len(launcher.early), launcher.inflight, launcher.late)
	})
}

// stopForkServer stops the fork server s (SIGSTOP), so that its replies
// come late, and returns what resumes it (SIGCONT, once). At the test's
// end it is resumed, its late replies are waited for (every connection
// free again, 10 s at most), and then restore runs.
func stopForkServer(t *testing.T, s *forkServer, restore func()) (resume func()) {
	t.Helper()
	if err := syscall.Kill(s.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume = func() {
		if !resumed {
			resumed = true
			syscall.Kill(s.pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(func() {
		resume()
		// the late replies come: wait for their connections (the
		// launches that read forkTimeout have all returned)
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			s.mu.Lock()
			n := len(s.late)
			s.mu.Unlock()
			if n == 0 || time.Now().After(end) {
				break
			}
		}
		restore()
	})
	return resume
}
