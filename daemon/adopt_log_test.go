package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/upgrade"
)

// The new cfkd of an upgrade that cannot adopt the state stops, and says
// why in cfkd's log too: a detached cfkd's stderr is /dev/null, and the
// former cfkd's last line there was its exec.
func TestAdoptionFailureLogged(t *testing.T) {
	home := t.TempDir()
	if err := logconf.EnsureFile(filepath.Join(home, "log.config")); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(home, "upgrade.state")
	if err := os.WriteFile(state, []byte(`{"version":2,"lock_fd":`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(upgrade.Env, state)
	err := Run([]string{"--home", home}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "upgrade in place") {
		t.Fatalf("Run: %v, want the upgrade's failure", err)
	}
	b, rerr := os.ReadFile(filepath.Join(home, "cfkd.log"))
	if rerr != nil {
		t.Fatalf("cfkd.log: %v", rerr)
	}
	if !strings.Contains(string(b), "ERROR") || !strings.Contains(string(b), err.Error()) {
		t.Errorf("cfkd.log does not say why cfkd stopped (%v):\n%s", err, b)
	}
}
