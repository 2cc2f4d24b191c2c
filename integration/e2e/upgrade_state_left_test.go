package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/cfk/cfk/upgrade"
)

// An upgrade refused after its check (here: a start got under way while
// the check ran, so the freeze is refused) leaves no upgrade.state in the
// home: the file holds every declaration, add_env values included, and
// REFERENCE §13.4 says a failure before the exec changes nothing. Only a
// refusal by the check itself removed it.
func TestUpgradeRefusedAfterTheCheckLeavesNoState(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service x cmd=sleep 1000", "service x startwait_secs=3",
		"service w cmd=sleep 1000", "service w requires=x", "service w add_env=SECRET=hunter2")
	dir := t.TempDir()
	started, proceed := filepath.Join(dir, "started"), filepath.Join(dir, "proceed")
	// passes the check once told to: the test starts w meanwhile
	script := fmt.Sprintf("#!/bin/sh\ntouch %q\ni=0\nwhile [ ! -e %q ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\necho cfkd-upgrade-ok version=slow state=%d\n",
		started, proceed, upgrade.Version())
	bin := filepath.Join(dir, "slowcheck")
	if err := writeExecutable(bin, []byte(script)); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		r   messages.Reply
		err error
	}
	answered := make(chan answer, 1)
	up := d.dial()
	if err := protocol.WriteRequest(up.conn, "command upgrade "+bin); err != nil {
		t.Fatal(err)
	}
	go func() { r, err := protocol.ReadReply(up.r); answered <- answer{r, err} }()
	c.until("the check running", func() bool { _, err := os.Stat(started); return err == nil })
	if _, err := os.Stat(filepath.Join(d.home, "upgrade.state")); err != nil {
		t.Fatalf("no state written for the check: %v", err)
	}
	// its reply comes once x has lived its startwait: not read
	if err := protocol.WriteRequest(d.dial().conn, "command start service w"); err != nil {
		t.Fatal(err)
	}
	c.until("w's start under way", func() bool { return c.status("x")[1] == "starting" })
	os.WriteFile(proceed, nil, 0o644)
	select {
	case a := <-answered:
		if a.err != nil || a.r.Err == nil || !strings.Contains(a.r.Err.Error(), "under way") {
			t.Fatalf("upgrade: %v %v %q, want refused: a start under way", a.err, a.r.Err, a.r.Lines)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the upgrade was not answered")
	}
	if _, err := os.Stat(filepath.Join(d.home, "upgrade.state")); !os.IsNotExist(err) {
		t.Errorf("upgrade.state left in the home after the refusal: %v", err)
	}
}
