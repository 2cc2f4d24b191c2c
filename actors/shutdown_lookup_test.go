package actors

import (
	"sync"
	"syscall"
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
	h := newHungLookup(t)
	r, free := h.rig, h.free
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s user=alice", "service s startwait_secs=0.02")
	r.async("command start service s")
	h.started()
	shut := r.async("command shutdown")
	select {
	case rep := <-shut:
		if rep.Err != nil {
			t.Fatalf("shutdown: %v", rep.Err)
		}
	case <-time.After(3 * time.Second): // well past every stopwait_secs (2 s)
		free() // let the tree end
		t.Fatal("shutdown not answered while a user lookup hangs: cfkd would never exit")
	}
}

// A destroy of a service whose user lookup hangs is answered too, the
// service gone; the lookup's late answer is dropped.
func TestDestroyDuringAHungUserLookup(t *testing.T) {
	t.Parallel()
	h := newHungLookup(t)
	r, free := h.rig, h.free
	r.ok("service s cmd=sleep 100", "service s user=alice")
	r.async("command start service s")
	h.started()
	destroy := r.async("command destroy service s")
	select {
	case rep := <-destroy:
		if rep.Err != nil {
			t.Fatalf("destroy: %v", rep.Err)
		}
	case <-time.After(3 * time.Second):
		free()
		t.Fatal("destroy not answered while a user lookup hangs")
	}
	free() // the lookup answers late: nothing is launched
	r.fake.expectNoLaunch(t, 1, 200*time.Millisecond)
}

// hungLookup is a rig whose user lookups hang (an LDAP server that does
// not answer) until free is called (at the test's end at the latest);
// started waits for the first lookup to begin. Each lookup answers the
// credential of uid 1001.
type hungLookup struct {
	*rig
	asked chan struct{}
	free  func()
}

func newHungLookup(t *testing.T) *hungLookup {
	release := make(chan struct{})
	var once sync.Once
	h := &hungLookup{asked: make(chan struct{}, 1), free: func() { once.Do(func() { close(release) }) }}
	h.rig = newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			select {
			case h.asked <- struct{}{}:
			default:
			}
			<-release
			return &syscall.Credential{Uid: 1001, Gid: 1001}, nil
		}
	})
	t.Cleanup(h.free)
	return h
}

// started waits until a lookup hangs.
func (h *hungLookup) started() {
	h.t.Helper()
	select {
	case <-h.asked:
	case <-time.After(deadline):
		h.t.Fatal("no lookup")
	}
}
