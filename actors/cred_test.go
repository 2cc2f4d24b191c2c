package actors

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

// A slow user lookup (NSS over LDAP) delays only the start of the service
// that names a user: the lookup runs off the actor, the tree answers
// meanwhile, other services start, and what comes for the waiting service
// (a stop) is applied, in order, once the launch is done.
func TestSlowUserLookupDelaysOnlyItsService(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	asked := make(chan string, 4)
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			asked <- user
			<-release
			if user == "nosuch" {
				return nil, errors.New(`unknown user "nosuch"`)
			}
			return nil, nil
		}
	})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	r.ok("service slow cmd=sleep 100", "service slow user=alice", "service slow startwait_secs=0.02")
	start := r.async("command start service slow")
	select {
	case u := <-asked:
		if u != "alice" {
			t.Fatalf("lookup of %q", u)
		}
	case <-time.After(deadline):
		t.Fatal("no lookup")
	}
	// the tree is not waiting: status answers (starting, its launch
	// under way: REFERENCE §2.1), another service starts
	begin := time.Now()
	if st := r.status("slow"); st[1] != "starting" || st[2] != "" {
		t.Fatalf("status while resolving %q", st)
	}
	r.startRunning("other")
	if el := time.Since(begin); el > deadline/2 {
		t.Fatalf("the tree waited %v for a lookup", el)
	}
	stop := r.async("command stop service slow")
	r.noReply("start", start, 50*time.Millisecond)
	r.fake.expectNoLaunch(t, 1, 0) // only "other" was launched
	close(release)
	if rep := r.reply("start", start); rep.Err != nil {
		t.Fatalf("start: %v", rep.Err)
	}
	r.expectSeq("slow", starting, stopping)
	if rep := r.reply("stop", stop); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
		t.Fatalf("stop reply %v %q", rep.Err, rep.Lines)
	}
}

// An unknown user is the start's error, found at the start.
func TestUnknownUserIsTheStartsError(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			return nil, errors.New(`unknown user "` + user + `"`)
		}
	})
	r.ok("service s cmd=sleep 100", "service s user=nosuch")
	r.fails("command start service s", `Service 's' cannot start: unknown user "nosuch"`)
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 1, 0)
}
