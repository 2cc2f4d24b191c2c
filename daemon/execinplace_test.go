package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// execLimitHelper makes the test binary, run as a child by
// TestFailedExecKeepsFdLimit, try the failing exec and print its limits.
const execLimitHelper = "CFKD_TEST_EXEC_LIMIT"

// TestFailedExecKeepsFdLimit: an upgrade's exec that fails leaves cfkd
// with the soft limit of open files it had (Go raised it to the hard limit
// minus one at start), not with the one it was started with, which
// syscall.Exec put in place for the new program; and the next exec still
// gives the new program the one cfkd was started with. Run in a copy of
// the test binary started with a soft limit of 512.
func TestFailedExecKeepsFdLimit(t *testing.T) {
	if os.Getenv(execLimitHelper) == "1" {
		var before, after syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before)
		err := execInPlace("/nonexistent/cfkd", []string{"cfkd"}, os.Environ())
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after)
		fmt.Printf("limits %d %d err %v\n", before.Cur, after.Cur, err)
		// a later exec that works gives the new program the first limit
		err = execInPlace("/bin/sh", []string{"sh", "-c", "echo exec $(ulimit -Sn)"}, os.Environ())
		fmt.Println("second exec:", err)
		os.Exit(1)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 1024 {
		t.Skipf("the hard limit of open files (%d) leaves no room to raise 512: %v", lim.Max, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// killed at the deadline; it exits on its own otherwise
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `ulimit -Sn 512 && exec "$0" -test.run='^TestFailedExecKeepsFdLimit$' -test.count=1`, os.Args[0])
	cmd.Env = append(os.Environ(), execLimitHelper+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	var before, after uint64
	var rest string
	i := strings.Index(string(out), "limits ")
	if i < 0 {
		t.Fatalf("helper said %q", out)
	}
	if _, err := fmt.Sscanf(string(out[i:]), "limits %d %d err %s", &before, &after, &rest); err != nil {
		t.Fatalf("helper said %q: %v", out, err)
	}
	if before == 512 {
		t.Skipf("Go did not raise the soft limit of 512 (hard %d): nothing to keep", lim.Max)
	}
	if after != before {
		t.Errorf("after the failed exec the soft limit is %d, was %d: %s", after, before, out)
	}
	if !strings.Contains(string(out), "\nexec 512\n") {
		t.Errorf("the exec after the failed one did not give the new program the soft limit of 512: %q", out)
	}
}
