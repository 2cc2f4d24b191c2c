package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §7.4, §13.1: a SIGUSR2 while -c FILE loads asks an upgrade
// that waits for cfkd to serve (10 s), and a shutdown asked meanwhile is
// refused for it. When the file then failed (a service it starts
// requires one that is never ready), cfkd asked its shutdown, refused,
// and waited for it for ever: cfkd stayed, its console closed, whether
// the file failed on its own (it said `config file refused: shutting
// down` and never exited 1) or after a SIGTERM (`shut down by a signal
// while loading` and never exited). The failed file now ends the
// upgrade's wait at once, and the shutdown runs.
func TestUpgradeSignalWhileConfigFails(t *testing.T) {
	t.Parallel()
	for _, term := range []bool{false, true} {
		name := "alone"
		if term {
			name = "then_TERM"
		}
		t.Run(name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			conf := filepath.Join(t.TempDir(), "cfk.conf")
			text := "service db cmd=sleep 1000\nservice db ready=tcp:127.0.0.1:1\n" +
				"service db ready_timeout_secs=3\nservice db respawn_max_retries=1\n" +
				"service app cmd=sleep 1000\nservice app requires=db\n" +
				"command start service app\n"
			if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			d := launchDaemon(t, home, "-c", conf)
			waitLogAlive(t, d, "starting db")
			d.cmd.Process.Signal(syscall.SIGUSR2)
			waitLogAlive(t, d, "SIGUSR2: upgrading in place")
			if term {
				d.cmd.Process.Signal(syscall.SIGTERM)
				waitLogAlive(t, d, "shutdown refused: an upgrade is under way")
			}
			err := d.waitExit() // db is given up 3 s after its start
			if term {
				if err != nil {
					t.Fatalf("cfkd after a TERM while loading: exit %v, stderr:\n%s", err, d.stderr.String())
				}
				return
			}
			if err == nil || !strings.Contains(d.stderr.String(), conf+":7: ") {
				t.Fatalf("cfkd whose config failed: exit %v, stderr:\n%s", err, d.stderr.String())
			}
		})
	}
}
