package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// TestUpgradeKeepsReadyOfTheExecsMoment: a READY=1 sent once the former
// cfkd wrote its final state (the asker has its OK; the console drains,
// here 0.2 s for a restart still waiting for its service) waits in the
// notify socket for the new cfkd, which hands it to the service once
// restored (REFERENCE §13.3). It was read by the former cfkd and handed
// to a service already exported; and one left in the socket was read by
// the new cfkd before the services were restored, kept, then routed to
// its service ahead of its restore, which dropped it as an ended run's:
// lost either way, the service starting for ever.
func TestUpgradeKeepsReadyOfTheExecsMoment(t *testing.T) {
	t.Parallel()
	needSystemdNotify(t)
	newBin, _ := upgradeBins(t)
	flag := filepath.Join(t.TempDir(), "go")
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service slow cmd=trap '' TERM; exec sleep 100`, "service slow stopwait_secs=3", "service slow startwait_secs=0.1",
		`service s cmd=while [ ! -f `+flag+` ]; do sleep 0.01; done; systemd-notify --ready; exec sleep 100`,
		"service s ready=notify", "service s ready_timeout_secs=0", "service s startwait_secs=0.1",
		"command start service slow", "command start service s")
	c.until("slow running", func() bool { return c.status("slow")[1] == "running" })
	// a restart that waits for slow to be down (3 s): in flight at the drain
	r := d.dial()
	r.conn.SetDeadline(time.Now().Add(deadline))
	if err := protocol.WriteRequest(r.conn, "command restart service slow"); err != nil {
		t.Fatal(err)
	}
	c.until("slow stopping", func() bool { return c.status("slow")[1] == "stopping" })
	pid := c.pidsOf()["s"]
	if rep := d.dial().do("command upgrade " + newBin); rep.Err != nil {
		t.Fatalf("upgrade: %v", rep.Err)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil { // READY=1 now
		t.Fatal(err)
	}
	end := time.Now().Add(deadline)
	for !d.versionIs("cfk " + newVersion) {
		if time.Now().After(end) {
			t.Fatalf("the new cfkd never answered\n%s", d.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c = d.dial()
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	if got := c.pidsOf()["s"]; got != pid {
		t.Errorf("s: pid %s, was %s", got, pid)
	}
}
