//go:build linux && !cfkportable

package osproc

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// A limit changed on cfkd after its start, from outside (prlimit --pid),
// reaches the services it starts then, through the fork server as if
// cfkd had forked them; a limit set back is followed back (REFERENCE §7.6).
func TestForkServerFollowsLimits(t *testing.T) {
	if s := launcher.server; s == nil || s.dead.Load() {
		t.Fatal("the launcher has no live fork server")
	}
	limits := func() []string {
		c := capture(t, Spec{Argv: sh("grep -e '^Max core file size' -e '^Max open files' /proc/self/limits")})
		got := lines(t, c.out, 2)
		c.wait(t)
		return got
	}
	before := limits()

	var core, nofile unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_CORE, nil, &core); err != nil {
		t.Fatal(err)
	}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &nofile); err != nil {
		t.Fatal(err)
	}
	// as prlimit(1) does it from outside: the raw call, on our pid
	set := func(r int, lim unix.Rlimit) {
		if _, _, e := unix.RawSyscall6(unix.SYS_PRLIMIT64, uintptr(os.Getpid()), uintptr(r), uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
			t.Fatalf("prlimit %d %+v: %v", r, lim, e)
		}
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			set(unix.RLIMIT_CORE, core)
			set(unix.RLIMIT_NOFILE, nofile)
		}
	}
	t.Cleanup(restore)
	newCore := unix.Rlimit{Cur: 1 << 20, Max: core.Max}
	if core.Max < 1<<20 {
		newCore = unix.Rlimit{Cur: 0, Max: 0}
	}
	set(unix.RLIMIT_CORE, newCore)
	set(unix.RLIMIT_NOFILE, unix.Rlimit{Cur: nofile.Max - 7, Max: nofile.Max})

	got := limits()
	want := [][2]uint64{{newCore.Cur, newCore.Max}, {nofile.Max - 7, nofile.Max}}
	for i := range want {
		if soft, hard := softHard(t, got[i]); soft != want[i][0] || hard != want[i][1] {
			t.Errorf("the child has %q, want cfkd's %d %d", got[i], want[i][0], want[i][1])
		}
	}

	restore()
	if after := limits(); after[0] != before[0] || after[1] != before[1] {
		t.Errorf("cfkd's limits set back: the child has %q, had %q before", after, before)
	}
}

// softHard reads the soft and hard limits of a line of /proc/PID/limits.
func softHard(t *testing.T, line string) (soft, hard uint64) {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 3 {
		t.Fatalf("limits line %q", line)
	}
	val := func(s string) uint64 {
		if s == "unlimited" {
			return unix.RLIM_INFINITY
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("limits line %q: %v", line, err)
		}
		return v
	}
	return val(f[len(f)-3]), val(f[len(f)-2])
}

// A helper that cannot take cfkd's limits is given up: cfkd forks the
// service itself (served false), nothing forked, no error of the service's.
func TestForkServerNotServedIsGivenUp(t *testing.T) {
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	s := &forkServer{log: quiet}
	pid, err, served := s.outcome(forkReply{Pid: notServed, Errno: int(syscall.EPERM)}, nil)
	if served || err != nil || pid != 0 || !s.dead.Load() {
		t.Fatalf("outcome: pid %d, err %v, served %v, dead %v: want the helper given up and not served", pid, err, served, s.dead.Load())
	}
}
