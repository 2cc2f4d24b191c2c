package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUpgradeWithTheLogConfigFileMovedAway: cfkd started with -l
// DIR/log.config; DIR is moved away afterwards (a configuration
// management run that replaces /etc/cfk). The new cfkd of an upgrade
// wrote the default file there when missing, failed on the missing
// directory and exited after the exec, its services unsupervised; it
// applies the configuration in force, which crosses as its text
// (REFERENCE §13.2), and takes over.
func TestUpgradeWithTheLogConfigFileMovedAway(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	etc := filepath.Join(t.TempDir(), "etc")
	if err := os.Mkdir(etc, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "log.config"), []byte("cfkd = file:cfkd.log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "", "-l", filepath.Join(etc, "log.config"))
	c := d.dial()
	before := c.runA()
	if err := os.Rename(etc, etc+".old"); err != nil {
		t.Fatal(err)
	}

	d.upgradeTo(newBin, "cfk "+newVersion) // fails if the new cfkd exits: a left unsupervised
	if got := d.dial().pidsOf()["a"]; got != before {
		t.Errorf("pid of a %s after the upgrade, was %s", got, before)
	}
}
