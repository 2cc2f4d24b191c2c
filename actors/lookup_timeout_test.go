package actors

import (
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A user lookup that never answers (a dead LDAP or sssd: os/user takes
// no context) fails the launch after LookupTimeout, saying it is the
// lookup; it is cfkd's trouble, not the service's: backoff and retried as
// a shortage, never counted toward respawn_max_retries, never fatal
// (REFERENCE §2.1, §2.4). The retries wait for the lookup in flight
// rather than starting another; once the name service answers, a retry
// asks again and the service starts. Before, the service stayed
// `starting` with no reason, its start and any stop unanswered, for ever.
func TestUserLookupThatNeverAnswers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var calls atomic.Int32
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs), everyShortageLogged, func(o *Options) {
		o.LookupTimeout = 50 * time.Millisecond
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if calls.Add(1) == 1 {
				<-release
			}
			return nil, nil
		}
	})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	r.ok("service s cmd=sleep 100", "service s user=www", "service s respawn_max_retries=1", "service s startwait_secs=0.02")
	start := r.async("command start service s")
	rep := r.reply("start", start)
	want := `Service 's' cannot start now: user lookup "www" did not answer within 50ms`
	if rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start: %v, want %s", rep.Err, want)
	}
	// retried, past respawn_max_retries, and never fatal
	const retried = `s: user lookup "www" did not answer within 50ms; retrying in 1s (not counted as a failed start)`
	logs.waitCount(t, retried, 3)
	info := r.info("service s")
	// backoff, or starting while a retry waits for the lookup
	if len(info) != 1 || (info[0].State != messages.Backoff && info[0].State != starting) || !strings.Contains(info[0].LastError, `user lookup "www" did not answer`) {
		t.Fatalf("inspect: %+v, want backoff (or a retry starting) with the lookup's reason", info)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d lookups started, want 1: the retries wait for the one in flight", n)
	}
	r.fake.expectNoLaunch(t, 1, 0)
	// the name service answers: its late answer is dropped, the next
	// retry asks again and starts the service
	released = true
	close(release)
	r.fake.waitLaunch(t, 1)
	r.expectSeq("s", messages.Backoff, starting, running)
}

// A restart's check whose user lookup never answers refuses the restart
// after LookupTimeout, with the lookup as the reason, and the running
// process is kept (REFERENCE §2.7): stopping it for a launch that would
// wait for the name service would leave the service down. Before, the
// restart was never answered.
func TestRestartCheckWhoseLookupNeverAnswers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	var hang atomic.Bool
	// LookupTimeout bounds the start's lookup that answers too: 1 s, not
	// 50 ms, which a loaded machine under -race can take
	r := newRig(t, func(o *Options) {
		o.LookupTimeout = time.Second
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if hang.Load() {
				<-release
			}
			return nil, nil
		}
	})
	r.setAutoTerm()
	pid := r.startRunning("s", "user=www")
	hang.Store(true)
	r.fails("command restart service s", `Service 's' cannot start: user lookup "www" did not answer within 1s`)
	if sigs := r.fake.signalsTo(pid); len(sigs) != 0 {
		t.Fatalf("the running process got %v for a restart its check refused", sigs)
	}
	if st := r.status("s"); st[1] != "running" {
		t.Fatalf("status %q, want s still running", st)
	}
}
