package actors

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The starts held back by cfkd's shortage are logged once a second at
// most across every service, the next record saying how many were not
// (REFERENCE §2.1): each service logged its own at each attempt, one a
// second each, so that 2,000 services waiting for fds wrote 2,000
// records a second while it lasted. Each service's last_error stays
// exact. The limiter's clock is the round of attempts (5 launches
// refused each): the retries of a round come 1 s after those before.
func TestShortageRecordsBoundedAcrossServices(t *testing.T) {
	t.Parallel()
	const n = 5
	log, rec := recordingLogger()
	var r *rig
	t0 := time.Now()
	r = newRig(t, func(o *Options) {
		o.Log = log
		o.shortageLog = &RecordLimit{Now: func() time.Time {
			r.fake.mu.Lock()
			refused := 2*n - len(r.fake.failNext)
			r.fake.mu.Unlock()
			return t0.Add(time.Duration((refused-1)/n) * time.Second)
		}}
	})
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("s%d", i))
	}
	r.declare(names)
	r.fake.mu.Lock()
	for range 2 * n {
		r.fake.failNext = append(r.fake.failNext, fmt.Errorf("pipe: %w", syscall.EMFILE))
	}
	r.fake.mu.Unlock()
	reason := shortage(syscall.EMFILE).Error()
	for _, name := range names {
		want := fmt.Sprintf("Service '%s' cannot start now: %s", name, reason)
		if rep := r.exec("command start service " + name); rep.Err == nil || rep.Err.Error() != want {
			t.Fatalf("start %s: %v, want %s", name, rep.Err, want)
		}
		r.expectSeq(name, backoff) // never started: no process
		if info := r.info("service " + name)[0]; info.LastError != reason {
			t.Errorf("%s in backoff: last_error %q, want %q", name, info.LastError, reason)
		}
	}
	for _, name := range names {
		r.expectSeq(name, starting, running)
	}
	var said []string
	rec.mu.Lock()
	for _, e := range rec.entries {
		if strings.Contains(e.Message, "; retrying in ") {
			said = append(said, e.Message)
		}
	}
	rec.mu.Unlock()
	suffix := fmt.Sprintf(": %s; retrying in 1s (not counted as a failed start)", reason)
	if len(said) != 2 || !strings.HasSuffix(said[0], suffix) ||
		!strings.HasSuffix(said[1], suffix+fmt.Sprintf(" (and %d more starts held back by cfkd's shortage since the last such record, not logged)", n-1)) {
		t.Errorf("the records of %d starts held back twice, a second apart: %d\n%s", n, len(said), strings.Join(said, "\n"))
	}
}
