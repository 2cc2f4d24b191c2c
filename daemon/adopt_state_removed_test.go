package daemon

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/upgrade"
)

// The state of an upgrade in place holds every declaration, add_env
// values included: a new cfkd whose adoption fails removes it too, not
// only one that adopted it (REFERENCE §13.2).
func TestAdoptionFailureRemovesState(t *testing.T) {
	for name, doc := range map[string]string{
		"corrupt":      `{"version":2,"lock_fd":`,
		"fds not open": `{"version":2,"cfkd_version":"x","pid":1,"home":"/nonexistent","lock_fd":90,"admin":{"fd":91,"network":"unix","addr":"/x"},"services":[{"config":{"name":"s","add_env":{"SECRET":"hunter2"}},"lifecycle":{}}],"sockets":[],"proxies":[],"pipes":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			if err := logconf.EnsureFile(filepath.Join(home, "log.config")); err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(home, "upgrade.state")
			if err := os.WriteFile(state, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv(upgrade.Env, state)
			if err := Run([]string{"--home", home}, io.Discard, io.Discard); err == nil {
				t.Fatal("Run adopted a state it should refuse")
			}
			if _, err := os.Stat(state); !os.IsNotExist(err) {
				t.Errorf("upgrade.state left in the home after the adoption failed: %v", err)
			}
		})
	}
}
