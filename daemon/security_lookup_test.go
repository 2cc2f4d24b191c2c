package daemon

import (
	"fmt"
	"os/user"
	"strconv"
	"testing"
	"time"
)

// --admin-group's group was looked up at cfkd's start without a bound: a
// name service that is down (LDAP, sssd) hung the start for ever. The
// lookup is bounded by nss.Timeout, and the start fails, naming the
// group (REFERENCE §5.2); a numeric group whose name does not come keeps
// its number.
func TestAdminGroupLookupThatNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	old, oldID, oldTimeout := adminGroupLookup, adminGroupIDLookup, adminGroupTimeout
	adminGroupLookup = func(string) (*user.Group, error) { <-release; return &user.Group{Gid: "4242", Name: "ops"}, nil }
	adminGroupIDLookup = func(string) (*user.Group, error) { <-release; return &user.Group{Gid: "4242", Name: "ops"}, nil }
	adminGroupTimeout = 50 * time.Millisecond
	t.Cleanup(func() {
		close(release)
		adminGroupLookup, adminGroupIDLookup, adminGroupTimeout = old, oldID, oldTimeout
	})

	build := func(group string) (*security, error) {
		f := flagsOf(t, "--admin-group", group)
		addr, err := ParseAddress(f.Address)
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			s   *security
			err error
		}
		done := make(chan result, 1)
		go func() {
			s, err := buildSecurity(f, addr)
			done <- result{s, err}
		}()
		select {
		case r := <-done:
			return r.s, r.err
		case <-time.After(10 * time.Second):
			t.Fatalf("--admin-group %s: cfkd's start still waits for the lookup after 10s", group)
			return nil, nil
		}
	}
	// a name of its own: a lookup of the name still in flight (a former
	// run's, -count) would be joined (nss)
	name := fmt.Sprintf("ops-hung-%d", time.Now().UnixNano())
	_, err := build(name + ":read")
	want := "cfkd: --admin-group " + name + ": the group lookup did not answer within 50ms"
	if err == nil || err.Error() != want {
		t.Fatalf("err %v, want %q", err, want)
	}
	gid := strconv.Itoa(int(time.Now().UnixNano() % 1e9))
	s, err := build(gid)
	if err != nil {
		t.Fatal(err)
	}
	if g := s.group; g == nil || strconv.Itoa(int(g.GID)) != gid || g.Name != gid {
		t.Fatalf("group %+v, want gid %s named %s", g, gid, gid)
	}
}
