//go:build linux && (amd64 || arm64)

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestUpgradeExecIgnoresTermAndQuit: REFERENCE §13.5, a TERM or QUIT
// during the exec of an upgrade in place, before the new cfkd's runtime
// starts (the kernel loading its binary: most of the window), ended it,
// its services left unsupervised: they crossed the exec with their
// default action where HUP, INT, USR1 and USR2 crossed it ignored. They
// are ignored across it now. The binary of the upgrade is a wrapper that
// writes the signals ignored at its start (/proc's SigIgn), then runs
// cfkd.
func TestUpgradeExecIgnoresTermAndQuit(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seen := filepath.Join(dir, "sigign")
	wrap := filepath.Join(dir, "cfkd-wrap")
	script := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = --check-upgrade ] || grep '^SigIgn:' /proc/self/status > %s\nexec %s \"$@\"\n", seen, newBin)
	if err := writeExecutable(wrap, []byte(script)); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "")
	c := d.dial()
	before := c.runA()
	d.upgradeTo(wrap, "cfk "+newVersion)
	b, err := os.ReadFile(seen)
	if err != nil {
		t.Fatalf("the wrapper never ran as the new cfkd: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		t.Fatalf("SigIgn: %q", b)
	}
	mask, err := strconv.ParseUint(f[1], 16, 64)
	if err != nil {
		t.Fatalf("SigIgn: %q: %v", b, err)
	}
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGQUIT} {
		if mask&(1<<(uint(s)-1)) == 0 {
			t.Errorf("%v crossed the exec with its default action (SigIgn %s): one sent then ends the new cfkd", s, f[1])
		}
	}
	if got := d.dial().pidsOf()["a"]; got != before {
		t.Errorf("pid of a %s after the upgrade, was %s", got, before)
	}
}
