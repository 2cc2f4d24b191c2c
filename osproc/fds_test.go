//go:build linux

// These tests check fds in the children through /proc/self/fd and set the
// fd limit with prlimit(2): Linux's. They run in both Linux builds.

package osproc

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// withFdLimit sets the soft fd limit of the test process to soft until
// the end of the test. It uses prlimit(2) directly: syscall.Setrlimit would
// also stop Go from giving children the soft limit it found at start.
func withFdLimit(t *testing.T, soft int) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	if uint64(soft) > old.Max {
		t.Skipf("hard fd limit %d: cannot set the soft one to %d", old.Max, soft)
	}
	lim := unix.Rlimit{Cur: uint64(soft), Max: old.Max}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &old, nil); err != nil {
			t.Errorf("restore the fd limit: %v", err)
		}
	})
}

// filler opens fds (dups of /dev/null) to fill the fd table; every one is
// closed at the end of the test.
type filler struct {
	t   *testing.T
	fds []int // sorted
}

func newFiller(t *testing.T) *filler {
	f := &filler{t: t}
	t.Cleanup(func() { closeFds(f.fds...) })
	return f
}

// fill opens fds until the table is full, and says how many it opened.
func (f *filler) fill() int {
	f.t.Helper()
	for n := 0; ; n++ {
		fd, err := unix.FcntlInt(launcher.devnull.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if errors.Is(err, syscall.EMFILE) {
			slices.Sort(f.fds)
			return n
		}
		if err != nil {
			f.t.Fatal(err)
		}
		f.fds = append(f.fds, fd)
	}
}

// free closes the n highest (or lowest) fds it holds.
func (f *filler) free(n int, highest bool) {
	f.t.Helper()
	if n > len(f.fds) {
		f.t.Fatalf("free %d: only %d fds held", n, len(f.fds))
	}
	if highest {
		closeFds(f.fds[len(f.fds)-n:]...)
		f.fds = f.fds[:len(f.fds)-n]
		return
	}
	closeFds(f.fds[:n]...)
	f.fds = f.fds[n:]
}

func openCount(t *testing.T) int {
	t.Helper()
	n, err := OpenFds()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A file the child gets with the last number of the fd table used to make
// syscall.ForkExec fail in the child with EBADF (it moves its status pipe
// above the child's highest fd, past the limit): under fd exhaustion the
// pipes get those numbers, and a start failed with `exec sleep: bad file
// descriptor`. Launch moves such a file lower first.
func TestChildFdAtTheLimit(t *testing.T) {
	limit := openCount(t) + 64
	withFdLimit(t, limit)
	f, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, hi := range []int{limit - 1, limit - 3} {
		if err := unix.Dup3(int(f.Fd()), hi, unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		high := os.NewFile(uintptr(hi), "high")
		c := capture(t, Spec{Argv: []string{"readlink", "/proc/self/fd/3"}, ExtraFiles: []*os.File{high}})
		if got := lines(t, c.out, 1)[0]; got != "/etc/passwd" {
			t.Errorf("fd %d as ExtraFiles: the child's fd 3 is %s, want /etc/passwd", hi, got)
		}
		c.wait(t)
		c = capture(t, Spec{Argv: []string{"readlink", "/proc/self/fd/0"}, Stdin: high})
		if got := lines(t, c.out, 1)[0]; got != "/etc/passwd" {
			t.Errorf("fd %d as Stdin: the child's fd 0 is %s, want /etc/passwd", hi, got)
		}
		c.wait(t)
		high.Close()
	}
}

// With the fd table full, Launch fails with an error that is EMFILE
// (errors.Is), leaks nothing, and leaves the last FdReserve fds to cfkd;
// once fds are free it starts again.
func TestFdShortage(t *testing.T) {
	// the pipes of earlier tests' children are closed by the poller at
	// their EOF, which may come after their exit: counts of free fds
	// hold only once they are all closed
	noOutputPipes(t)
	withFdLimit(t, openCount(t)+64)
	fl := newFiller(t)
	spec := Spec{Argv: []string{"true"}, Stdout: func(int, []byte) {}, Stderr: func(int, []byte) {}}
	// free fds are free before Launch fails: as many are free after it
	launchFails := func(what string, free int) {
		t.Helper()
		c, err := tryStart(t, spec)
		if err == nil {
			c.wait(t)
			t.Fatalf("%s: Launch succeeded", what)
		}
		if !errors.Is(err, syscall.EMFILE) {
			t.Fatalf("%s: Launch: %v, want EMFILE", what, err)
		}
		if n := fl.fill(); n != free {
			t.Errorf("%s: %d fds free before the failed launch, %d after", what, free, n)
		}
	}

	fl.fill()
	launchFails("table full", 0)
	fl.free(FdReserve, true)
	launchFails("only the reserve free", FdReserve)

	fl.free(forkFds+2, false) // the pipes, and ForkExec's status pipe
	capture(t, spec).wait(t)
}

// noOutputPipes waits until the poller holds no pipe (the children of
// earlier tests all read to their EOF).
func noOutputPipes(t *testing.T) {
	t.Helper()
	eventually(t, "the poller holds no pipe", func() (bool, string) {
		launcher.out.mu.Lock()
		defer launcher.out.mu.Unlock()
		return len(launcher.out.pipes) == 0, fmt.Sprintf("%d pipes", len(launcher.out.pipes))
	})
}

// A mass start holds 2 fds per service, plus a few per fork under way: N
// concurrent launches (as N service actors do) under a limit of 2N + 48
// above what is open all succeed. (Launch used to open a service's 4 pipe
// fds before waiting for a fork slot: about 4 fds per service at the peak.)
func TestMassStartWithin2FdsPerService(t *testing.T) {
	const n = 200
	withFdLimit(t, openCount(t)+FdsPerService*n+48)
	spec := Spec{Argv: []string{"sleep", "60"}, Env: os.Environ(), Stdout: func(int, []byte) {}, Stderr: func(int, []byte) {}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tryStart(t, spec); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("%d of %d launches failed, first: %v", len(errs), n, errs[0])
	}
}

// A fork that runs short of fds waits for the other forks under way, and
// only for them: alone, it is told at once.
func TestForkSlotsWaitForOthers(t *testing.T) {
	s := newForkSlots(2)
	s.take()
	if s.waitForOthers() {
		t.Fatal("alone: waitForOthers returned true")
	}
	s.take() // a second fork under way
	waited := make(chan bool)
	go func() { waited <- s.waitForOthers() }()
	// the waiting fork gave its slot back: a third may take it
	taken := make(chan struct{})
	go func() { s.take(); close(taken) }()
	select {
	case <-taken:
	case <-time.After(deadline):
		t.Fatal("the slot of a waiting fork was not given back")
	}
	select { // it waits for a slot to be given back: none was
	case <-waited:
		t.Fatal("waitForOthers returned before another fork ended")
	default:
	}
	s.give() // one fork under way ends
	select {
	case ok := <-waited:
		if !ok {
			t.Fatal("waitForOthers returned false after another fork ended")
		}
	case <-time.After(deadline):
		t.Fatal("waitForOthers still waits after another fork ended")
	}
	s.mu.Lock()
	busy := s.busy
	s.mu.Unlock()
	if busy != 2 {
		t.Errorf("%d slots taken, want 2 (the third fork and the one that waited)", busy)
	}
}

func TestServiceRoom(t *testing.T) {
	for _, c := range []struct {
		limit uint64
		open  int
		want  int
	}{
		{20000, 20, (20000 - 20 - FdReserve - forkFds) / 2},
		{1024, 1000, 2},
		{64, 60, 0},
		{^uint64(0), 0, (1<<30 - FdReserve - forkFds) / 2},
	} {
		if got := ServiceRoom(c.limit, c.open); got != c.want {
			t.Errorf("ServiceRoom(%d, %d) = %d, want %d", c.limit, c.open, got, c.want)
		}
	}
}
