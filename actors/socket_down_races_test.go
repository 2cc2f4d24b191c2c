package actors

import (
	"testing"
)

// A bind of another socket that began BEFORE web's
// unbind is not refused by c.unbinding (socketFor checks it only when a
// bind or unbind starts, and unbindSocket does not check for a bind in
// flight). Its completion publishes c.files, from which web's unbind
// dropped web already, as a Req-0 table that every service takes without
// a check: s, whose respawn's launch (in its user lookup) uses web, loses
// web, and the respawn fails fatal "socket 'web' is not bound" while web
// stays bound (its unbind is undone). The case
// TestBindDuringARefusedUnbindLosesTheSocketOfALaunchInLookup covers,
// with the bind sent a moment earlier.
func TestBindInFlightWhenAnUnbindStartsLosesTheSocket(t *testing.T) {
	t.Parallel()
	r, g := respawnInLookup(t)
	// t answers web's unbind late (an export's freeze stashes every
	// message until the thaw)
	tpid := r.servicePID("t")
	r.tree.System.Root.Send(tpid, exportService{req: 999999, freeze: true})
	r.ok("socket late host=127.0.0.1", "socket late service=0")
	// both in the controller's mailbox before late's socket actor answers
	// the bind: web's unbind comes while the bind is under way
	in := r.asyncInOrder("command bind late", "command unbind web") // web's unbind once late's bind began
	bind, web := in[0], in[1]
	if rep := r.reply("bind late", bind); rep.Err != nil {
		t.Fatalf("bind late: %v", rep.Err)
	}
	// web's unbind is refused at once ("socket 'late' is being bound"),
	// or, had it come first, by s: never answered OK, s never loses web
	g.free() // the respawn's lookup ends
	r.expectSeq("s", starting)
	r.tree.System.Root.Send(tpid, thawService{})
	if rep := r.reply("unbind web", web); rep.Err == nil {
		t.Fatal("unbind web answered OK while the respawn held it")
	}
	r.shutdownClean()
}

// Only an unselected dependent gets DownService
// {ForRequired}. With both selected (`down all`, a tag), app gets the
// operator's DownService, which now waits for its hung lookup, and db's
// down waits for app's: the down of what app requires waits for a lookup
// that may never end (REFERENCE §2.1: "the stop or destroy of a service
// it requires, does not wait for a lookup"). `down service db` alone is
// answered (TestDestroyOfWhatAHungLookupRequires's rig); before 338944d
// `down all` was too.
func TestDownAllWaitsForADependentsHungLookup(t *testing.T) {
	t.Parallel()
	r, g, start := appInLookup(t)
	down := r.async("command down all")
	rep := answeredWithin(t, g, down, "down all not answered: db's down waits for app's operator down, which waits for app's hung user lookup")
	t.Logf("down all: %v %q", rep.Err, rep.Lines)
	r.reply("start", start)
}
