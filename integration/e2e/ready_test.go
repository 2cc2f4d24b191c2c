package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needSystemdNotify skips a test that needs systemd-notify, a real
// sd_notify client, where it is not installed.
func needSystemdNotify(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/systemd-notify"); err != nil {
		t.Skip("systemd-notify is not installed (.ci/run installs it)")
	}
}

// ready=notify: a shell script that says READY=1 with systemd-notify after
// 2 s stays starting for 2 s, then runs; its STATUS= is shown by inspect.
func TestReadyNotifyWithSystemdNotify(t *testing.T) {
	t.Parallel()
	needSystemdNotify(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok(`service s cmd=systemd-notify --status="warming up"; sleep 2; systemd-notify --ready --status=serving; exec sleep 100`,
		"service s ready=notify", "service s startwait_secs=0.2")
	begin := time.Now()
	c.ok("command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	if el := time.Since(begin); el < 2*time.Second {
		t.Fatalf("running %v after the start, before it said READY=1", el)
	}
	if info := c.ok("command inspect service s"); !strings.Contains(info[0], `"notify_status":"serving"`) {
		t.Fatalf("inspect %q", info)
	}
}

// ready=notify as another user: a service run as nobody cannot enter
// cfkd's home, where cfkd's notify socket is; it is given the shared one
// (REFERENCE §2.9), and its systemd-notify reaches cfkd: it runs once it
// says READY=1, and its STATUS= shows. Before, its start was refused.
func TestReadyNotifyAsAnotherUser(t *testing.T) {
	t.Parallel()
	needRoot(t)
	needSystemdNotify(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok(`service s cmd=sleep 1; systemd-notify --ready --status="serving as $(id -un)"; exec sleep 100`,
		"service s user=nobody", "service s ready=notify", "service s startwait_secs=0.2")
	c.ok("command start service s")
	if st := c.status("s")[1]; st != "starting" {
		t.Fatalf("s is %s before it said READY=1", st)
	}
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	if info := c.ok("command inspect service s"); !strings.Contains(info[0], `"notify_status":"serving as nobody"`) {
		t.Fatalf("inspect %q", info)
	}
}

// ready=tcp and ready=http: a server that listens after 1 s is starting
// until then; ready=exec likewise with a file; a service never ready is a
// failed start after ready_timeout_secs.
func TestReadyProbes(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	defer d.stop()
	dir := t.TempDir()
	pt, ph := freePort(t), freePort(t)
	c := d.dial()
	server := func(port int) string {
		return fmt.Sprintf(`service %%s cmd=sleep 1; exec python3 -m http.server --bind 127.0.0.1 %d`, port)
	}
	c.ok(fmt.Sprintf(server(pt), "t"), fmt.Sprintf("service t ready=tcp:127.0.0.1:%d", pt),
		fmt.Sprintf(server(ph), "h"), fmt.Sprintf("service h ready=http:http://127.0.0.1:%d/", ph),
		"service x cmd=sleep 1; touch "+filepath.Join(dir, "up")+"; exec sleep 100",
		"service x ready=exec:echo the probe said this; test -f "+filepath.Join(dir, "up"),
		"service n cmd=sleep 100", fmt.Sprintf("service n ready=tcp:127.0.0.1:%d", freePort(t)),
		"service n ready_timeout_secs=1", "service n respawn_max_retries=1", "service n stopwait_secs=0.5")
	for _, s := range []string{"t", "h", "x"} {
		c.ok("service " + s + " startwait_secs=0.1")
	}
	begin := time.Now()
	c.ok("command start service t", "command start service h", "command start service x", "command start service n")
	if st := c.status("t"); st[1] != "starting" {
		t.Fatalf("t at once: %q", st)
	}
	for _, s := range []string{"t", "h", "x"} {
		c.until(s+" running", func() bool { return c.status(s)[1] == "running" })
	}
	if el := time.Since(begin); el < time.Second {
		t.Fatalf("running after %v, before the server listened", el)
	}
	// the exec probe's output is not the service's (it goes nowhere)
	if out := d.ctlOK("", "tail", "x"); strings.Contains(out, "the probe said") {
		t.Fatalf("tail x shows the probe's output: %q", out)
	}
	c.until("n fatal", func() bool { return c.status("n")[1] == "fatal" })
	c.until("the log says why", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return strings.Contains(string(b), "n: giving up after 1 failed starts (Not ready after 1s)")
	})
}

// stop_signal=INT is what the service gets on stop, and its end by INT is
// a clean stop; success_exit_codes=3 makes exit 3 clean; `command signal`
// reaches the process; env_file is read at each start, add_env wins.
func TestSignalsExitCodesEnvFile(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	defer d.stop()
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	env := filepath.Join(dir, "env")
	if err := os.WriteFile(env, []byte("# the env file\nA=from-file\nB=\"also from file\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := d.dial()
	c.ok(`service s cmd=trap 'echo HUP >> `+got+`' HUP; trap 'echo INT >> `+got+`; trap - INT; kill -INT $$' INT; echo "$A/$B" >> `+got+`; while :; do sleep 0.1; done`,
		"service s stop_signal=SIGINT", "service s startwait_secs=0.2", "service s no_new_session=1",
		"service s env_file="+env, "service s add_env=A=from-add-env",
		"service e cmd=sleep 0.3; exit 3", "service e startwait_secs=0.1", "service e success_exit_codes=3")
	c.ok("command start service s", "command start service e")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	d.ctlOK("", "signal", "HUP", "s")
	c.until("s got HUP", func() bool { b, _ := os.ReadFile(got); return strings.Contains(string(b), "HUP") })
	c.ok("command stop service s")
	c.until("s stopped", func() bool { return c.status("s")[1] == "stopped" })
	b, _ := os.ReadFile(got)
	if want := "from-add-env/also from file\nHUP\nINT\n"; string(b) != want {
		t.Fatalf("the service saw %q, want %q", b, want)
	}
	c.until("e stopped", func() bool { return c.status("e")[1] == "stopped" })
	if st := c.status("e"); st[6] != "" {
		t.Fatalf("exit 3 with success_exit_codes=3: %q", st)
	}
	if r, err := c.try("command signal HUP service e"); err != nil || r.Err == nil || r.Err.Error() != "Service 'e' is not up" {
		t.Fatalf("signal of a down service: %v %v", r, err)
	}
	// a missing env_file is the start's error, naming it
	os.Remove(env)
	if r, _ := c.try("command start service s"); r.Err == nil || !strings.Contains(r.Err.Error(), "env_file: open "+env) {
		t.Fatalf("start without its env_file: %v", r.Err)
	}
}

// WATCHDOG=1 with watchdog_secs: a service that stops pinging is ended
// with SIGABRT and handled as a crash (started again at once the first
// time); restarts and last_exit say so.
func TestWatchdog(t *testing.T) {
	t.Parallel()
	needSystemdNotify(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok(`service w cmd=systemd-notify --ready; for i in 1 2 3; do sleep 0.3; systemd-notify WATCHDOG=1; done; exec sleep 100`,
		"service w ready=notify", "service w startwait_secs=0.1", "service w watchdog_secs=1", "service w stopwait_secs=1")
	c.ok("command start service w")
	// at least once: each run ends the same way, so under load a poll
	// may come only after the second
	c.until("the watchdog fired and w was started again", func() bool {
		info := c.ok("command inspect service w")
		return !strings.Contains(info[0], `"restarts":0`) && strings.Contains(info[0], `"last_exit":"signal 6"`)
	})
	c.until("the log says why", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return strings.Contains(string(b), "w: Watchdog timeout after 1s: sending SIGABRT")
	})
}
