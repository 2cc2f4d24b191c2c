package e2e

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
)

// TestRefusedStartEndsWithCfkdExiting: REFERENCE §7.4, a cfkd that stops
// once its log is set up ends it with `cfkd exiting`, after the reason:
// one refused by -c FILE (exit 1), by a fleet that cannot listen, or by
// a busy admin address ended its log without it, so that a watcher of the
// log waited for it forever. The home holds a log already in the last
// case: a refused start keeps what was there.
func TestRefusedStartEndsWithCfkdExiting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	c := filepath.Join(dir, "certs")
	if err := certs.Generate(c, []certs.Member{{Name: "web1", Role: certs.RoleHost, Addr: busy}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	cert, key := certs.Files(filepath.Join(c, "web1"))
	conf := filepath.Join(dir, "bad.conf")
	writeFileE2E(t, conf, "service a cmd=sleep 1000\ncommand start service a\ncommand start service nosuch\n")
	for _, tc := range []struct {
		name    string
		args    []string
		logHere bool // the home and its log are there before the start
		want    string
	}{
		{"config line fails", []string{"-c", conf}, false, "cfkd stops: " + conf + ":3: "},
		{"fleet cannot listen", []string{"--fleet-listen", busy, "--fleet-ca", filepath.Join(c, certs.CAFile),
			"--fleet-cert", cert, "--fleet-key", key}, false, "address already in use"},
		{"admin address busy", []string{"-a", busy, "--insecure-tcp"}, true, "address already in use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			if tc.logHere {
				if err := os.Mkdir(home, 0o700); err != nil {
					t.Fatal(err)
				}
				writeFileE2E(t, filepath.Join(home, "cfkd.log"), "")
			}
			out, err := cfkdOutput(t, home, nil, tc.args...)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("cfkd %v: %v, want exit status 1\n%s", tc.args, err, out)
			}
			if left := killHome(home); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
			log := strings.Split(strings.TrimSuffix(readLog(home), "\n"), "\n")
			if len(log) < 2 {
				t.Fatalf("cfkd.log has %d records:\n%s", len(log), strings.Join(log, "\n"))
			}
			last, reason := log[len(log)-1], log[len(log)-2]
			if !strings.HasSuffix(last, exitingRecord) || !strings.Contains(reason, " ERROR cfkd - cfkd stops: ") || !strings.Contains(reason, tc.want) {
				t.Errorf("the log ends with\n%s\n%s\nwant an ERROR record holding %q, then one ending %q; stderr:\n%s",
					reason, last, tc.want, exitingRecord, out)
			}
		})
	}
}
