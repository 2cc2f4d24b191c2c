package actors

import (
	"testing"
	"time"

	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/messages"
)

// A launch whose cwd or program is on a hung mount fails in osproc's
// Launch with an *nss.TimeoutError (osproc's PathTimeout); it was a
// failed start, counted, and fatal after respawn_max_retries: it is
// cfkd's trouble, as an env_file read that does not answer, retried and
// never counted (REFERENCE §2.1).
func TestLaunchOnAHungPathIsNotCounted(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs))
	hung := &nss.TimeoutError{Lookup: "cwd /mnt/x", After: 5 * time.Second}
	for range 3 {
		r.fake.failNextLaunch(hung)
	}
	r.ok("service s cmd=sleep 100", "service s respawn_max_retries=1", "service s startwait_secs=0.02")
	r.fails("command start service s", "Service 's' cannot start now: cwd /mnt/x did not answer within 5s")
	logs.waitCount(t, "s: cwd /mnt/x did not answer within 5s; retrying in 1s (not counted as a failed start)", 3)
	r.fake.waitLaunch(t, 1)
	r.expectSeq("s", messages.Backoff, starting, running)
}
