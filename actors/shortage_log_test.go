package actors

import (
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
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
		}, LateAfter: time.Hour} // the count goes with the next record, never late
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

// The count of the starts held back in the last second of a shortage is
// logged once it ends: it went only with the next record of a start held
// back, and when the shortage ended none came, so that it was never
// logged (5 services held back once: 1 record, the 4 others never
// counted). A one-shot timer, armed only while records are kept back,
// logs it once no record came to carry it (REFERENCE §2.1).
func TestShortageCountLoggedWhenItEnds(t *testing.T) {
	t.Parallel()
	const n = 5
	late := make(chan string, 4)
	log, _ := recordingLogger()
	log.AddHook(hookFunc(func(e *logrus.Entry) {
		if strings.Contains(e.Message, "not logged") {
			select {
			case late <- e.Message:
			default:
			}
		}
	}))
	t0 := time.Now() // the starts held back are of one second, however slow the machine
	r := newRig(t, func(o *Options) {
		o.Log = log
		o.shortageLog = &RecordLimit{Now: func() time.Time { return t0 }}
	})
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("s%d", i))
	}
	r.declare(names)
	r.fake.mu.Lock()
	for range n {
		r.fake.failNext = append(r.fake.failNext, fmt.Errorf("pipe: %w", syscall.EMFILE))
	}
	r.fake.mu.Unlock()
	for _, name := range names {
		if rep := r.exec("command start service " + name); rep.Err == nil {
			t.Fatalf("start %s: no error, want it held back", name)
		}
		r.expectSeq(name, backoff)
	}
	for _, name := range names { // the shortage is over: each starts
		r.expectSeq(name, starting, running)
	}
	want := fmt.Sprintf("%d more starts held back by cfkd's shortage since the last such record, not logged", n-1)
	select {
	case got := <-late:
		if got != want {
			t.Fatalf("logged %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the count of the %d starts held back and not logged never was: want %q", n-1, want)
	}
}

// hookFunc is a logrus hook of every level that calls f.
type hookFunc func(*logrus.Entry)

func (hookFunc) Levels() []logrus.Level       { return logrus.AllLevels }
func (f hookFunc) Fire(e *logrus.Entry) error { f(e); return nil }

// everyShortageLogged is newRig's option that lets every record of a
// start held back through: a test that counts one service's retries
// (ShortageDelay, 1 s apart) cannot count on the limiter's one a second,
// whose clock is read when each record is made, after the retry timer
// was armed: a step that made its record later than the next did (a
// loaded machine) put the two less than a second apart, and the second
// was kept back. The clock moves a minute at each record.
func everyShortageLogged(o *Options) {
	var n atomic.Int64
	o.shortageLog = &RecordLimit{Now: func() time.Time { return time.Unix(60*n.Add(1), 0) }}
}
