package actors

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// REFERENCE §7.4: a shutdown while starts wait for a fork slot (a mass
// start) forks none of them: they end stopped, not in backoff nor fatal,
// each start answered so, and the shutdown is answered once every
// service is down. A start whose fork was under way runs, and is stopped
// with the others. (The starts waiting forked once a slot was free, only
// for the shutdown to kill each process at once.) Each start not forked
// is logged in its service's own category, and the shutdown says how many
// in one line of its own, before the proxies go down.
func TestShutdownCancelsTheStartsWaitingForASlot(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	r.setAutoTerm()
	names := []string{"a", "b", "c", "x"}
	for _, n := range names {
		r.ok("service "+n+" cmd=sleep 100", "service "+n+" startwait_secs=0.02")
	}
	inLaunch, release := r.holdLaunch() // x's fork is under way
	defer func() {
		if !isClosed(release) {
			close(release)
		}
	}()
	startX := r.async("command start service x")
	waitClosed(t, inLaunch, "launch of x")
	r.fake.holdSlots(t) // the others wait for a fork slot
	var starts []<-chan messages.Reply
	for _, n := range names[:3] {
		starts = append(starts, r.async("command start service "+n))
	}
	r.fake.waitFor(t, "3 launches waiting for a slot", func() bool { return r.fake.waiting == 3 })
	shut := r.async("command shutdown")
	r.fake.waitFor(t, "the launches waiting cancelled", func() bool { return r.fake.waiting == 0 })
	for i, ch := range starts {
		rep := r.reply("start "+names[i], ch)
		if !errors.Is(rep.Err, osproc.ErrCancelled) || !strings.Contains(rep.Err.Error(), "Service '"+names[i]+"'") {
			t.Errorf("start %s: %v, want %v", names[i], rep.Err, osproc.ErrCancelled)
		}
	}
	close(release) // x's fork ends: its process is stopped by the shutdown
	if rep := r.reply("start x", startX); rep.Err != nil {
		t.Errorf("start x: %v", rep.Err)
	}
	if rep := r.reply("shutdown", shut); rep.Err != nil {
		t.Fatalf("shutdown: %v", rep.Err)
	}
	launches := r.fake.allLaunches()
	if len(launches) != 1 || !slices.Equal(launches[0].Spec.Argv, []string{"sleep", "100"}) {
		t.Fatalf("%d launches, want 1 (x's): %+v", len(launches), launches)
	}
	r.fake.waitSignal(t, launches[0].Pid, 15)
	r.mu.Lock()
	defer r.mu.Unlock()
	var got []string
	for _, ev := range r.events {
		got = append(got, transitions([]messages.ServiceStateChanged{ev})...)
	}
	// a, b and c were stopped and are: no transition at all
	if want := []string{"x:stopped→starting", "x:starting→stopping", "x:stopping→stopped"}; !slices.Equal(got, want) {
		t.Errorf("transitions %q, want %q", got, want)
	}
	// the shutdown is answered after its records: all are in
	var logged []string
	for _, e := range hook.AllEntries() {
		if e.Level != logrus.InfoLevel {
			continue
		}
		svc, _ := e.Data["service"].(string) // a service's own category
		switch {
		case strings.Contains(e.Message, "not started"), strings.Contains(e.Message, "not forked"):
			logged = append(logged, svc+"|"+e.Message)
		case strings.HasPrefix(e.Message, "every service is down"):
			logged = append(logged, "|"+e.Message)
		}
	}
	slices.Sort(logged[:min(3, len(logged))]) // the services' own, in any order
	want := []string{
		"a|a: not started: cfkd is shutting down",
		"b|b: not started: cfkd is shutting down",
		"c|c: not started: cfkd is shutting down",
		"|shutdown: 3 starts not forked",
		"|every service is down: shutting the proxies down",
	}
	if !slices.Equal(logged, want) {
		t.Errorf("logged\n%s\nwant\n%s", strings.Join(logged, "\n"), strings.Join(want, "\n"))
	}
}
