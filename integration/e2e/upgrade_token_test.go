package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestUpgradeWithATokenFileNowRefused: cfkd started with --http-token
// FILE; the file is made readable by others afterwards (a refused file
// keeps its tokens, REFERENCE §7.3). `command upgrade` answered OK, then
// the new cfkd re-read every flag's file, refused it and exited: the
// services were left running, unsupervised. REFERENCE §13.4: a failure
// must change nothing; the check refuses it now, and the old cfkd goes on.
func TestUpgradeWithATokenFileNowRefused(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("e2e-token-e2e-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "", "--http", "127.0.0.1:0", "--http-token", token)
	c := d.dial()
	before := c.runA()
	if err := os.Chmod(token, 0o644); err != nil {
		t.Fatal(err)
	}

	r := d.dial().do("command upgrade " + newBin)
	end := time.Now().Add(deadline)
	for {
		if r.Err != nil && d.versionIs("cfk "+messages.Version) {
			if !strings.Contains(r.Err.Error(), "mode 0644 lets others read or change it") {
				t.Fatalf("upgrade refused with %v, want the token file's mode", r.Err)
			}
			break // refused, and the old cfkd goes on
		}
		if r.Err == nil && d.versionIs("cfk "+newVersion) {
			t.Fatalf("the new cfkd took a token file of mode 0644")
		}
		select {
		case <-d.exited:
			t.Fatalf("upgrade answered %v, then cfkd exited (%v): service a (pid %s) left unsupervised\n%s",
				r.Err, d.err, before, d.stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd never answered after the upgrade (%v)", r.Err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := d.dial().pidsOf()["a"]; got != before {
		t.Errorf("pid of a %s after the upgrade, was %s", got, before)
	}
}
