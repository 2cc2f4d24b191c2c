package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// A new cfkd that ends before it reads the state (killed in its first
// milliseconds, or a program that passed the check and exits) left
// upgrade.state in the home, and the cfkd started next on that home kept
// it there for good: every declaration, add_env values included. The
// cfkd that takes the lock at a plain start removes it (REFERENCE §7.4).
func TestStaleUpgradeStateRemovedAtStart(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "home")
	d := startDaemon(t, home)
	c := d.dial()
	c.ok("service x cmd=sleep 1000", "service x add_env=SECRET=hunter2", "command start service x")
	// passes the check, then ends at once where a cfkd would adopt
	bin := filepath.Join(t.TempDir(), "dies")
	script := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = --check-upgrade ]; then echo cfkd-upgrade-ok version=dies state=%d; exit 0; fi\nexit 1\n", upgrade.Version())
	if err := writeExecutable(bin, []byte(script)); err != nil {
		t.Fatal(err)
	}
	c.ok("command upgrade " + bin)
	d.waitExit() // the exec'd script exits: no cfkd on the home, x left running
	state := filepath.Join(home, "upgrade.state")
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("the exec left no upgrade.state (nothing to test): %v", err)
	}
	// what the ended cfkd left (x): the next one on this home kills it on
	// Linux, but not on the portable path (no /proc scan, REFERENCE §11)
	killHome(home)
	d2 := startDaemon(t, home) // takes the home
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("upgrade.state still in the home once the next cfkd serves: %v", err)
	}
	d2.stop()
}
