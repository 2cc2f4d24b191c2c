package actors

import (
	"slices"
	"syscall"
	"testing"
)

// An up of app while a down of db, which app requires, waits for app to
// be down first: the up's wait for db found db still running and let app
// start again, and the down then stopped db under it: app running, db
// stopped (found by TestRerunParkingStress, seed 210). The wait is now
// parked behind the down's step for db (rerun.go): its up comes after
// the down, starts db again once down, and app starts once db runs
// (REFERENCE §2.8).
func TestUpDuringADownOfWhatItRequires(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	app, db := r.runAppOnDB()

	from := r.mark()
	down := r.async("command down service db")
	r.fake.waitSignal(t, app, syscall.SIGTERM) // app first: the down of db waits for it
	up := r.async("command up service app")
	r.noReply("up app", up, window)
	r.fake.exit(t, app, syscall.WaitStatus(syscall.SIGTERM))
	r.fake.waitSignal(t, db, syscall.SIGTERM)
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	if rep := r.reply("down db", down); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 1"}) {
		t.Fatalf("down db: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("up app", up); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 1"}) {
		t.Fatalf("up app: %v %q", rep.Err, rep.Lines)
	}
	r.expectSeq("app", stopping, stopped, starting, running)
	r.expectSeq("db", stopping, stopped, starting, running)
	r.inOrder(from, "app:stopped", "db:stopped", "db:starting", "db:running", "app:starting")
	if st := r.status("db")[1]; st != "running" {
		t.Fatalf("db %s while app runs", st)
	}
}
