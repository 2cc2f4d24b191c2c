package actors

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// REFERENCE §1.1 (user): "Resolved at each start, in a goroutine of the
// start's own (a slow NSS, LDAP or sssd, delays that start only)"; §1.4
// (apply): the services marked ~ that are starting or running are
// restarted, so that what runs is what the file declares. A service whose
// start waits for a slow user lookup shows `stopped` meanwhile, so an
// apply that changes its cmd and user does not restart it; the lookup of
// the OLD user then finishes and the process is forked from the NEW
// declaration (cmd, cwd, env) with the OLD identity, and stays so: the
// plan said `~ slow: cmd, user`, and a process runs as a user no
// declaration ever paired with that command.
func TestApplyDuringUserLookupRunsTheDeclaredUser(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	asked := make(chan string, 8)
	uids := map[string]uint32{"alice": 1001, "bob": 1002}
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			asked <- user
			<-release
			return &syscall.Credential{Uid: uids[user], Gid: uids[user]}, nil
		}
	})
	r.setAutoTerm()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	old := "service slow cmd=sleep 100\nservice slow user=alice\nservice slow startwait_secs=0.02\n"
	r.applyOK("", old, "+ slow")
	start := r.async("command start service slow")
	select {
	case u := <-asked:
		if u != "alice" {
			t.Fatalf("lookup of %q", u)
		}
	case <-time.After(deadline):
		t.Fatal("no lookup")
	}
	// the apply comes while the lookup of alice is under way
	r.applyOK("", "service slow cmd=sleep 200\nservice slow user=bob\nservice slow startwait_secs=0.02\n",
		"~ slow: cmd, user")
	close(release)
	if rep := r.reply("start", start); rep.Err != nil {
		t.Fatalf("start: %v", rep.Err)
	}
	first := r.fake.waitLaunch(t, 1)
	t.Logf("launched %q as uid %d", first.Spec.Argv, first.Spec.Credential.Uid)
	// what runs in the end must be the declaration: sleep 200 as bob
	r.fake.waitFor(t, "a launch of the declared command as the declared user", func() bool {
		n := len(r.fake.launches)
		if n == 0 {
			return false
		}
		l := r.fake.launches[n-1]
		return l.Spec.Credential != nil && l.Spec.Credential.Uid == uids["bob"] && fmt.Sprint(l.Spec.Argv) == "[sleep 200]"
	})
}
