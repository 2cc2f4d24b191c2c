package integration

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	. "github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// limit_nofile= is the process's RLIMIT_NOFILE (REFERENCE §1.1), lowered
// or raised, set by the shell that also sets umask and LISTEN_PID; a hard
// limit above cfkd's for a process that is not root's is the start's
// error, said, not a launch that fails again and again.
func TestLimitNofile(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	hard := uint64(lim.Max) // int64 on FreeBSD
	h := newHarness(t)
	line := func(name string) string {
		t.Helper()
		return h.expectLine(name+"'s line", func(e *logrus.Entry) bool { return e.Data["service"] == name }).Message
	}
	const show = `cmd=sh -c 'echo "$(ulimit -S -n) $(ulimit -H -n) $(umask) $LISTEN_PID $$"'`
	h.ok("service low "+show, "service low limit_nofile=100:200", "command start service low")
	if got := line("low"); !strings.HasPrefix(got, "100 200 ") {
		t.Fatalf("low says %q, want soft 100, hard 200", got)
	}
	h.ok("service one "+show, "service one limit_nofile=300", "command start service one")
	if got := line("one"); !strings.HasPrefix(got, "300 300 ") {
		t.Fatalf("one says %q, want 300 300 (N is both, as LimitNOFILE=N)", got)
	}
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web",
		"service all "+show, "service all limit_nofile=150:250", "service all umask=077",
		"service all listen_sockets=web", "command start service all")
	if f := strings.Fields(line("all")); len(f) != 5 || f[0] != "150" || f[1] != "250" || f[2] != "0077" || f[3] != f[4] {
		t.Fatalf("all says %q, want `150 250 0077 PID PID`", f)
	}
	// raising the hard limit above cfkd's: as a shell of the test's own
	// identity may (root with CAP_SYS_RESOURCE), else the start's error.
	// Not above the kernel's fs.nr_open, which no one may pass (the
	// launch's exit 126, §1.1): the shell's refusal then says nothing of
	// the capability cfkd's check reads, and where cfkd's hard limit is
	// fs.nr_open already (a container's 1048576) none is tried
	above := hard + 1000
	nrOpen := kernelNrOpen(t)
	if nrOpen != 0 && above > nrOpen {
		above = nrOpen
	}
	mayRaise := exec.Command("sh", "-c", fmt.Sprintf("ulimit -H -n %d", above)).Run() == nil
	h.ok("service up "+show, fmt.Sprintf("service up limit_nofile=%d", above))
	if above <= hard {
		t.Logf("cfkd's hard limit %d is fs.nr_open's: no raise tried", hard)
	} else if mayRaise {
		h.ok("command start service up")
		if want := fmt.Sprintf("%d %d ", above, above); !strings.HasPrefix(line("up"), want) {
			t.Fatalf("up: want %q", want)
		}
	} else {
		h.fails("command start service up", fmt.Sprintf("Service 'up' cannot start: limit_nofile: its hard limit %d is above cfkd's, %d, which cfkd may not raise (it needs root with CAP_SYS_RESOURCE)", above, hard))
	}
	if os.Geteuid() != 0 {
		return
	}
	above = hard + 1000 // refused before any launch: fs.nr_open is not reached
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	h.ok("service nb "+show, "service nb user=nobody", fmt.Sprintf("service nb limit_nofile=%d", above))
	h.fails("command start service nb", fmt.Sprintf("Service 'nb' cannot start: limit_nofile: its hard limit %d is above cfkd's, %d, which a process of uid %s may not raise", above, hard, nobody.Uid))
	h.expectNone("nb", Starting, 0)
}

// kernelNrOpen is fs.nr_open, the most open files any process may have
// (0 when it cannot be read).
func kernelNrOpen(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Logf("fs.nr_open: %v", err)
		return 0
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
