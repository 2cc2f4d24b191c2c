package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpgradeAdoptsOnlyTheStateItWrote: REFERENCE §13.2, the new cfkd
// adopts the state the former one wrote, not what HOME/upgrade.state
// says by the time it reads it. The file was read by its path: one
// rewritten between the former cfkd's write and the new cfkd's read (an
// editor, another tool, a second cfkd pointed at the home by mistake) was
// adopted as it was, here a service's command and description changed,
// and service b lost. The test build holds the new cfkd in its package
// inits (_CFKD_TEST_INIT_HOLD), before it reads the state, while the file
// is rewritten in place.
func TestUpgradeAdoptsOnlyTheStateItWrote(t *testing.T) {
	t.Parallel()
	h := startHeldUpgrade(t, func(c *client) { c.ok("service a desc=genuine", "service b cmd=sleep 1000") })
	d := h.d
	// rewritten in place, as an editor saves it: a's description, and b
	// renamed to a name the former cfkd never had
	file := filepath.Join(d.home, "upgrade.state")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the state the new cfkd is to read: %v", err)
	}
	doctored := bytes.ReplaceAll(raw, []byte(`"genuine"`), []byte(`"doctored"`))
	doctored = bytes.ReplaceAll(doctored, []byte(`"Name":"b"`), []byte(`"Name":"x"`))
	if bytes.Equal(doctored, raw) {
		t.Fatalf("nothing to change in the state:\n%s", raw)
	}
	if err := os.WriteFile(file, doctored, 0o600); err != nil {
		t.Fatal(err)
	}
	h.release(t, func() string { return fmt.Sprintf("cfkd exited after the upgrade: %v", d.err) })
	c := d.dial()
	if got := strings.Join(c.ok("command desc service a"), "\n"); !strings.Contains(got, "genuine") {
		t.Errorf("desc a after the upgrade: %q, want the description the former cfkd had", got)
	}
	var names []string
	for _, l := range c.ok("command status") {
		names = append(names, strings.Split(l, "\t")[0])
	}
	if strings.Join(names, " ") != "a b" {
		t.Errorf("services after the upgrade: %q, want a and b", names)
	}
	if got := c.pidsOf()["a"]; got != h.before {
		t.Errorf("pid of a %s after the upgrade, was %s", got, h.before)
	}
	waitLogAlive(t, d, "was changed after the former cfkd wrote it")
	h.shutdown(t)
}
