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
	t.Parallel()
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

// REFERENCE §2.8, §2.10: a oneshot done counts as up for a restart of
// what it requires, as systemd's with RemainAfterExit: `restart db` runs
// the migration that requires db again, then the seed that requires the
// migration, each once the one before is done, then restarts web, which
// requires the seed. The chain does not stop at a oneshot done.
func TestRestartTakesAlongTheOneShotsDone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	migrated, seeded := filepath.Join(dir, "migrated"), filepath.Join(dir, "seeded")
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("service db cmd=sleep 100",
		"service migrate cmd=sh -c 'sleep 0.3; echo x >> "+migrated+"'", "service migrate oneshot=1", "service migrate requires=db",
		// the seed writes how many times the migration ran before it
		"service seed cmd=sh -c 'wc -l < "+migrated+" >> "+seeded+"'", "service seed oneshot=1", "service seed requires=migrate",
		"service web cmd=sleep 100", "service web requires=seed", "service web startwait_secs=0.2")
	c.ok("command start service web")
	c.until("web running", func() bool { return c.status("web")[1] == "running" })
	webPid, dbPid := c.status("web")[2], c.status("db")[2]

	c.ok("command restart service db")
	c.until("db and web restarted", func() bool {
		db, web := c.status("db"), c.status("web")
		return db[1] == "running" && db[2] != dbPid && web[1] == "running" && web[2] != webPid
	})
	b, _ := os.ReadFile(seeded)
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "1 2" {
		t.Fatalf("the seed ran after %q runs of the migration, want 1 then 2", got)
	}
	for _, name := range []string{"migrate", "seed"} {
		if st := c.status(name); st[1] != "stopped" {
			t.Fatalf("%s %q, want stopped (done)", name, st)
		}
	}

	// a rolling restart does the same, one at a time, each done or
	// running again before the next: answered once web runs again
	webPid, dbPid = c.status("web")[2], c.status("db")[2]
	if rs := c.ok("command rollingrestart service db"); len(rs) != 1 || rs[0] != "done 1" {
		t.Fatalf("rollingrestart db: %q", rs)
	}
	if db, web := c.status("db"), c.status("web"); db[1] != "running" || db[2] == dbPid || web[1] != "running" || web[2] == webPid {
		t.Fatalf("after the rolling restart: db %q (was pid %s), web %q (was pid %s), want both running again", db, dbPid, web, webPid)
	}
	b, _ = os.ReadFile(seeded)
	if got := strings.Fields(string(b)); strings.Join(got, " ") != "1 2 3" {
		t.Fatalf("the seed ran after %q runs of the migration, want 1, 2 then 3", got)
	}
	c.ok("command stop service web", "command stop service db")
}
