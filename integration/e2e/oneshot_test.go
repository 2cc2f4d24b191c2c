package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// REFERENCE §2.10: a oneshot (a migration) required by web runs to its end
// first: web starts once it exited 0, not once it lived startwait (web
// exits 7 when the migration's file is not there yet); the oneshot is then
// stopped, and done: ups do not run it again, a restart of it does, and
// restarts web after. One that fails its retries fails the start of what
// requires it, with its own error.
func TestOneShotRunsBeforeWhatRequiresIt(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "migrated")
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("service migrate cmd=sh -c 'sleep 1; touch "+flag+"'", "service migrate oneshot=1", "service migrate startwait_secs=0.1",
		"service web cmd=sh -c 'test -e "+flag+" || exit 7; exec sleep 100'", "service web requires=migrate",
		"service web startwait_secs=0.3", "service web respawn_max_retries=1")
	if r := c.ok("command start service web"); len(r) != 1 || r[0] != "done 1" {
		t.Fatalf("start web: %q", r)
	}
	if _, err := os.Stat(flag); err != nil {
		t.Fatalf("web was started before the migration was done: %v", err)
	}
	c.until("web running", func() bool { return c.status("web")[1] == "running" })
	if st := c.status("migrate"); st[1] != "stopped" {
		t.Fatalf("migrate %q, want stopped once done", st)
	}
	if info := c.ok("command inspect service migrate"); !strings.Contains(info[0], `"done":true`) {
		t.Fatalf("inspect %q, want done", info)
	}
	// done stays done: an up of web or of every service runs nothing
	// (each reply would wait for the job to be done again)
	webPid := c.status("web")[2]
	os.Remove(flag)
	c.ok("command up service web", "command up all", "command up service migrate")
	if _, err := os.Stat(flag); err == nil {
		t.Fatal("an up ran the oneshot again, done already")
	}
	if st := c.status("migrate"); st[1] != "stopped" {
		t.Fatalf("migrate %q after the ups, want stopped (done)", st)
	}
	// restart migrate: it runs again, then web is restarted once it is done
	if rs := c.ok("command restart service migrate"); len(rs) != 1 || rs[0] != "done 1" {
		t.Fatalf("restart migrate: %q", rs)
	}
	if _, err := os.Stat(flag); err != nil {
		t.Fatalf("restart answered before migrate was done: %v", err)
	}
	c.until("web restarted", func() bool { st := c.status("web"); return st[1] == "running" && st[2] != webPid })

	c.ok("service broken cmd=sh -c 'exit 3'", "service broken oneshot=1", "service broken respawn_max_retries=1",
		"service app cmd=sleep 100", "service app requires=broken")
	r, err := c.try("command start service app")
	if err != nil {
		t.Fatal(err)
	}
	if r.Err == nil || !strings.HasPrefix(r.Err.Error(), "Service 'app' cannot start: requires 'broken': Service 'broken' did not come back up: fatal") {
		t.Fatalf("start app: %v %q, want the failure of what it requires", r.Err, r.Lines)
	}
	if st := c.status("app"); st[1] != "stopped" {
		t.Fatalf("app %q, want never started", st)
	}
	c.ok("command stop service web")
}
