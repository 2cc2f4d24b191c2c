package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// REFERENCE §2.9: EXTEND_TIMEOUT_USEC, sent with systemd-notify as
// MariaDB sends it during a long recovery, extends the ready timeout: a
// service ready 1.5 s after its start with ready_timeout_secs=1 runs.
// It was ended `Not ready after 1s`, the field ignored.
func TestExtendTimeoutWithSystemdNotify(t *testing.T) {
	t.Parallel()
	needSystemdNotify(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok(`service s cmd=systemd-notify EXTEND_TIMEOUT_USEC=8000000; sleep 1.5; systemd-notify --ready; exec sleep 100`,
		"service s ready=notify", "service s startwait_secs=0.1", "service s ready_timeout_secs=1",
		"service s respawn_max_retries=1")
	c.ok("command start service s")
	c.until("s running, or down as not ready", func() bool {
		st := c.status("s")[1]
		return st == "running" || st == "fatal" || st == "backoff" || st == "stopping"
	})
	if st := c.status("s"); st[1] != "running" {
		t.Fatalf("status %q, want running: its ready timeout was extended to 8 s", st)
	}
}

// REFERENCE §2.9: WATCHDOG=trigger ends the service by SIGABRT as a crash
// (`Watchdog request`), without watchdog_secs, as systemd's; it was
// ignored.
func TestWatchdogTriggerWithSystemdNotify(t *testing.T) {
	t.Parallel()
	needSystemdNotify(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok(`service w cmd=systemd-notify --ready; sleep 0.3; systemd-notify WATCHDOG=trigger; exec sleep 100`,
		"service w ready=notify", "service w startwait_secs=0.1", "service w stopwait_secs=1")
	c.ok("command start service w")
	c.until("w ended by SIGABRT and started again", func() bool {
		info := c.ok("command inspect service w")
		return !strings.Contains(info[0], `"restarts":0`) && strings.Contains(info[0], `"last_exit":"signal 6"`)
	})
	c.until("the log says why", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return strings.Contains(string(b), "w: Watchdog request (WATCHDOG=trigger): sending SIGABRT")
	})
}
