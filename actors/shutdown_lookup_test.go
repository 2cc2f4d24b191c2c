package actors

import (
	"testing"
	"time"
)

// TestShutdownDuringAHungUserLookup: REFERENCE §1.1 (user, group):
// the lookup runs "in a goroutine of the start's own (a slow NSS, LDAP or
// sssd, delays that start only, never cfkd)". A lookup that hangs (an
// unreachable LDAP server) defers every event of the service, the halt of
// a shutdown included (lifecycle.Next defers while Launching), so
// `command shutdown` (§7.4) is never answered and cfkd never exits,
// although the service has no process to bring down.
func TestShutdownDuringAHungUserLookup(t *testing.T) {
	t.Parallel()
	r, g := hungLookupRig(t)
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s user=alice", "service s startwait_secs=0.02")
	r.async("command start service s")
	g.waitAsked(t)
	shut := r.async("command shutdown")
	select {
	case rep := <-shut:
		if rep.Err != nil {
			t.Fatalf("shutdown: %v", rep.Err)
		}
	case <-time.After(3 * time.Second): // well past every stopwait_secs (2 s)
		g.free() // let the tree end
		t.Fatal("shutdown not answered while a user lookup hangs: cfkd would never exit")
	}
}

// A destroy of a service whose user lookup hangs is answered too, the
// service gone; the lookup's late answer is dropped.
func TestDestroyDuringAHungUserLookup(t *testing.T) {
	t.Parallel()
	r, g := hungLookupRig(t)
	r.ok("service s cmd=sleep 100", "service s user=alice")
	r.async("command start service s")
	g.waitAsked(t)
	destroy := r.async("command destroy service s")
	select {
	case rep := <-destroy:
		if rep.Err != nil {
			t.Fatalf("destroy: %v", rep.Err)
		}
	case <-time.After(3 * time.Second):
		g.free()
		t.Fatal("destroy not answered while a user lookup hangs")
	}
	g.free() // the lookup answers late: nothing is launched
	r.fake.expectNoLaunch(t, 1, 200*time.Millisecond)
}
