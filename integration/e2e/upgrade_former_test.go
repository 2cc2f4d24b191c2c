package e2e

import "testing"

// TestUpgradeKeepsRunningFormer: a service running a former declaration
// (declared anew since its launch) is still one after an upgrade in
// place to another build: inspect's running_former survives it, and an
// apply would restart it (REFERENCE §1.4).
func TestUpgradeKeepsRunningFormer(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service x cmd=sleep 1000", "command start service x")
	c.until("x running", func() bool { return c.status("x")[1] == "running" })
	c.ok("service x cmd=sleep 2000")
	if !c.infos()["x"].RunningFormer {
		t.Fatal("x does not run a former declaration before the upgrade")
	}
	d.upgradeTo(newBin, "cfk "+newVersion)
	if i := d.dial().infos()["x"]; !i.RunningFormer {
		t.Errorf("x after the upgrade: %+v, want running a former declaration", i)
	}
}
