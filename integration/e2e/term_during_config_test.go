package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// REFERENCE §7.3: HUP, INT and TERM are a shutdown, then exit 0; §7.4:
// exit status 1 is for a cfkd that cannot start, and `cfkd: FILE:LINE:
// MESSAGE` names a config line that failed. The signals are relayed
// before -c FILE is loaded (so that they are not lost), but a TERM that
// comes while a line of FILE waits (a `command start` of a service whose
// requirement is slow to run) makes that line fail with the shutdown's
// consequence, and cfkd exits 1 blaming the config: `cfkd: FILE:6:
// Service 'app' cannot start: requires 'db': Service 'db' did not come
// back up: stopped`, logged as `config file refused`. `systemctl stop`
// during a slow start thus leaves the unit failed, with a bogus error.
func TestTermWhileLoadingConfigIsAShutdown(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	text := "service db cmd=sleep 1000\nservice db startwait_secs=30\n" +
		"service app cmd=sleep 1000\nservice app requires=db\nservice app startwait_secs=0\n" +
		"command start service app\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	d := launchDaemon(t, home, "-c", conf)
	// wait until the config's start is under way: db's process runs
	end := time.Now().Add(deadline)
	dbRuns := func() bool {
		for _, pid := range homeProcs(home) {
			if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline")); string(b) == "sleep\x001000\x00" {
				return true
			}
		}
		return false
	}
	for !dbRuns() {
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited at start: %v\n%s", d.err, d.stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("db never started\n%s", d.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	err := d.waitExit()
	if err != nil || strings.Contains(d.stderr.String(), conf) {
		t.Fatalf("cfkd after a TERM while loading its config: exit %v, stderr:\n%s", err, d.stderr.String())
	}
}
