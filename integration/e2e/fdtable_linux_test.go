package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// cfkd sizes its fd table for its soft limit before its console listens
// (REFERENCE §7.6): the console's fd in reserve, near the top of the
// table, would otherwise make the kernel grow the table once the accept
// loop began, and while it grows the table of a process with threads
// every thread that opens an fd waits (8 to 16 ms measured), the first
// clients' too. The table's size (FDSize in /proc/PID/status) is read
// as soon as the socket exists, before cfkd may accept on it.
func TestFdTableSizedBeforeTheConsoleListens(t *testing.T) {
	const limit = 4000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < limit {
		t.Skipf("the hard limit of open files (%d) is under %d", lim.Max, limit)
	}
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command("/bin/sh", "-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, limit), cfkdBin, "--home", home)
	d := runDaemonCmd(t, home, cmd, nil)
	sock := filepath.Join(home, "sock")
	end := time.Now().Add(deadline)
	for {
		if _, err := os.Lstat(sock); err == nil {
			break
		}
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited at start: %v\n%s", d.err, d.stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("no socket %s after %v", sock, deadline)
		}
		time.Sleep(100 * time.Microsecond) // the socket is bound a few ms before the accept loop begins
	}
	size, ok := procStatusField(d.cmd.Process.Pid, "FDSize")
	if !ok {
		t.Fatalf("no FDSize in /proc/%d/status", d.cmd.Process.Pid)
	}
	if want := limit - osproc.FdReserve + 1; size < want {
		t.Errorf("cfkd's fd table held %d fds when its socket appeared, want at least %d (its soft limit %d)", size, want, limit)
	}
	d.acceptsOnHome()
}
