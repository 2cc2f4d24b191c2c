package actors

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// stalledRoll starts s and a rolling apply of sleep 2 that waits for s,
// stopping (the fake process ignores SIGTERM, stopwait_secs=30): an
// apply under way that does not end until s exits. It returns the
// apply's reply.
func stalledRoll(t *testing.T) (*rig, <-chan messages.Reply) {
	r := newRig(t)
	r.ok(applyReq("", "service s cmd=sleep 1\nservice s stopwait_secs=30\n"), "command start service s")
	r.expectSeq("s", starting)
	first := r.async(applyReq("rolling", "service s cmd=sleep 2\nservice s stopwait_secs=30\n"))
	r.expectSeq("s", stopping)
	return r, first
}

const stalledRollUnderWay = "rolling restart, 0 of 1 done, waiting for 's' to be running)"

// TestApplyUnderWayAnswersAtOnce: while an apply waits for a service
// (here its stop; a readiness with no ready_timeout_secs waits for ever),
// a dry run is answered at once, against what the apply declared, with a
// note naming it, and another apply is refused at once, saying what the
// one under way waits for and what ends its wait (REFERENCE §1.4).
// Before, both waited behind it, in a queue, until their clients gave up.
func TestApplyUnderWayAnswersAtOnce(t *testing.T) {
	t.Parallel()
	r, first := stalledRoll(t)
	third := "service s cmd=sleep 3\nservice s stopwait_secs=30\n"
	dry := r.exec(applyReq("dry-run", third))
	if dry.Err != nil || len(dry.Lines) != 2 || dry.Lines[0] != "~ s: cmd" ||
		!strings.HasPrefix(dry.Lines[1], messages.PlanNote+messages.ApplyUnderWay+" (since ") ||
		!strings.Contains(dry.Lines[1], stalledRollUnderWay) {
		t.Fatalf("dry run while an apply is under way: %v\n%s", dry.Err, strings.Join(dry.Lines, "\n"))
	}
	rep := r.exec(applyReq("", third))
	if rep.Err == nil || !strings.HasPrefix(rep.Err.Error(), messages.ApplyUnderWay+" (since ") ||
		!strings.HasSuffix(rep.Err.Error(), stalledRollUnderWay+": try again once it is done (a stop of 's' ends its wait)") {
		t.Fatalf("apply while another is under way: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	if rep := r.reply("first", first); rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ s: cmd"}) {
		t.Fatalf("first: %v %q", rep.Err, rep.Lines)
	}
	r.expectSeq("s", stopped, starting)
	r.applyOK("dry-run", third, "~ s: cmd") // no apply under way: no note
}

// TestApplyRefusedNeverRunsLater: an apply that came while another was
// under way changes nothing, then or later: once the one under way is
// done, cfkd holds its declarations and runs its process. Before, it
// waited in a queue and ran when its turn came, its client gone or not
// (cfkctl killed, or given up at its --timeout).
func TestApplyRefusedNeverRunsLater(t *testing.T) {
	t.Parallel()
	r, first := stalledRoll(t)
	second := r.async(applyReq("", "service s cmd=sleep 3\nservice s stopwait_secs=30\n"))
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	if rep := r.reply("first", first); rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ s: cmd"}) {
		t.Fatalf("first: %v %q", rep.Err, rep.Lines)
	}
	if rep := r.reply("second", second); rep.Err == nil || !strings.HasPrefix(rep.Err.Error(), messages.ApplyUnderWay) {
		t.Fatalf("second, sent while the first was under way: %v %q", rep.Err, rep.Lines)
	}
	r.expectSeq("s", stopped, starting, running)
	r.applyOK("dry-run", "service s cmd=sleep 2\nservice s stopwait_secs=30\n", "no changes")
	if l := r.fake.waitLaunch(t, 2); !slices.Equal(l.Spec.Argv, []string{"sleep", "2"}) {
		t.Fatalf("launch after the first apply: %q", l.Spec.Argv)
	}
	r.expectQuiet("s", 100*time.Millisecond)
}

// TestApplyRollOnUnboundedReadinessSaysSo: a rolling apply that goes to a
// service whose readiness has no timeout warns (an event of kind cfkd)
// that it may wait for it for ever, and what ends the wait; an apply
// refused meanwhile names the service; a stop of it ends the roll
// (REFERENCE §1.4). Before, nothing said why every later apply hung.
func TestApplyRollOnUnboundedReadinessSaysSo(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.Log.SetLevel(logrus.WarnLevel) })
	r.setAutoTerm()
	decl := "service s ready=exec:false\nservice s ready_timeout_secs=0\n"
	r.ok(applyReq("", "service s cmd=sleep 1\n"+decl), "command start service s")
	r.expectSeq("s", starting)
	all := r.tree.Subscribe(allSel, Backlog{})
	defer all.Close()
	roll := r.async(applyReq("rolling", "service s cmd=sleep 2\n"+decl))
	want := "apply: rolling restart of 's': waiting for it to be ready, with no ready_timeout_secs: " +
		"other applies are refused until it is (a stop of 's' ends the wait)"
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	for found := false; !found; {
		ls, err := all.Next(ctx)
		if err != nil {
			t.Fatalf("no warning %q: %v", want, err)
		}
		for _, l := range lineStrings(ls) {
			e, err := messages.ParseEvent(l)
			found = found || err == nil && e.Kind == messages.EventCfkd && e.Level == "warn" && e.Message == want && e.Service == "s"
		}
	}
	r.expectSeq("s", stopping, stopped, starting)
	rep := r.exec(applyReq("", "service s cmd=sleep 3\n"+decl))
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "rolling restart, 0 of 1 done, waiting for 's' to be running): try again once it is done (a stop of 's' ends its wait)") {
		t.Fatalf("apply during the roll: %v %q", rep.Err, rep.Lines)
	}
	r.okDone("command stop service s", 1)
	if rep := r.reply("rolling apply", roll); rep.Err != nil || len(rep.Lines) != 2 || rep.Lines[0] != "~ s: cmd" || !strings.HasPrefix(rep.Lines[1], "s: ") {
		t.Fatalf("rolling apply, its service stopped: %v %q", rep.Err, rep.Lines)
	}
}

// TestApplyUnderWayDuringShutdown: while cfkd shuts down, an apply is
// refused `cfkd is shutting down`, an apply under way or not (REFERENCE
// §1.4): not that another is under way, which a client would try again
// until cfkd is gone.
func TestApplyUnderWayDuringShutdown(t *testing.T) {
	t.Parallel()
	r, first := stalledRoll(t)
	ch := r.asyncInOrder("command shutdown", applyReq("", "service s cmd=sleep 3\nservice s stopwait_secs=30\n"))
	if rep := r.reply("apply", ch[1]); rep.Err == nil || rep.Err.Error() != "cfkd is shutting down" {
		t.Fatalf("apply during the shutdown, another under way: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	r.reply("first", first)
	r.reply("shutdown", ch[0])
}

// TestApplyUnderWayOutlivesItsClient: an apply under way whose client
// goes away (its connection closed: cfkctl killed, or past its
// --timeout) goes on to its end: its rolling restart is not abandoned
// half done (REFERENCE §1.4).
func TestApplyUnderWayOutlivesItsClient(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok(applyReq("", "service s cmd=sleep 1\nservice s stopwait_secs=30\n"), "command start service s")
	r.expectSeq("s", starting)
	conn, _ := consoleOf(t, r.tree, StartConsole{Policy: &ConsolePolicy{AdminUIDs: []uint32{uint32(os.Getuid())}}})
	if _, err := conn.Write([]byte(applyReq("rolling", "service s cmd=sleep 2\nservice s stopwait_secs=30\n") + "\n")); err != nil {
		t.Fatal(err)
	}
	r.expectSeq("s", stopping)
	conn.Close()
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopped, starting)
	if l := r.fake.waitLaunch(t, 2); !slices.Equal(l.Spec.Argv, []string{"sleep", "2"}) {
		t.Fatalf("the rolling apply, its client gone, launched %q", l.Spec.Argv)
	}
	r.expectSeq("s", running)
	// the plan of the file it applied; its note, if the controller has
	// not had the service's answer yet, does not matter
	if got := r.ok(applyReq("dry-run", "service s cmd=sleep 2\nservice s stopwait_secs=30\n")); got[0] != "no changes" {
		t.Fatalf("dry run after the rolling apply: %q", got)
	}
}

// TestApplyUnderWayNamesFiveOfWhatItWaitsFor: an apply that restarts
// many services at once waits for them all; another apply's refusal
// names five of them and counts the others (REFERENCE §1.4). It named
// them all, twice: an apply of 300 services made each refusal, each dry
// run's note and each line of a cfkctl waiting on it several KB long.
func TestApplyUnderWayNamesFiveOfWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	decl := func(v int) string {
		var b strings.Builder
		for i := range 8 {
			fmt.Fprintf(&b, "service a%d cmd=sleep %d\nservice a%d stopwait_secs=30\n", i, v, i)
		}
		return b.String()
	}
	r.ok(applyReq("", decl(1)), "command start all")
	for i := range 8 {
		r.expectSeq(fmt.Sprintf("a%d", i), starting)
	}
	first := r.async(applyReq("", decl(2)))
	for i := range 8 {
		r.expectSeq(fmt.Sprintf("a%d", i), stopping)
	}
	rep := r.exec(applyReq("", decl(3)))
	const names = "'a0', 'a1', 'a2', 'a3', 'a4' and 3 others"
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "0 of 8 done, waiting for "+names) ||
		!strings.HasSuffix(rep.Err.Error(), "(a stop of "+names+" ends its wait)") {
		t.Fatalf("apply while another waits for 8 services: %v %q", rep.Err, rep.Lines)
	}
	for i := 1; i <= 8; i++ {
		r.fake.exit(t, r.fake.waitLaunch(t, i).Pid, killedBy(syscall.SIGTERM))
	}
	if rep := r.reply("first", first); rep.Err != nil || len(rep.Lines) != 8 {
		t.Fatalf("first: %v %q", rep.Err, rep.Lines)
	}
}
