package actors

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// applyReq is the request line of an apply of text.
func applyReq(opts, text string) string {
	if opts != "" {
		opts += " "
	}
	return "command apply " + opts + messages.EncodeApplyData(text)
}

func (r *rig) applyOK(opts, text string, want ...string) {
	r.t.Helper()
	if got := r.ok(applyReq(opts, text)); !slices.Equal(got, want) {
		r.t.Fatalf("apply %s: got\n%s\nwant\n%s", opts, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// asyncInOrder sends lines to the controller in this order (one sender:
// they reach its mailbox in order) and returns where each reply arrives.
func (r *rig) asyncInOrder(lines ...string) []<-chan messages.Reply {
	r.t.Helper()
	var out []<-chan messages.Reply
	for _, l := range lines {
		st, err := messages.Parse(l)
		if err != nil {
			r.t.Fatalf("%q: %v", l, err)
		}
		f := r.tree.System.Root.RequestFuture(r.tree.Controller, st, deadline)
		ch := make(chan messages.Reply, 1)
		go func() {
			res, err := f.Result()
			rep, _ := res.(messages.Reply)
			if err != nil {
				rep = messages.ErrorReply(err)
			}
			ch <- rep
		}()
		out = append(out, ch)
	}
	return out
}

func TestApplyPlanDeclaresWhole(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service a cmd=sleep 1", "service a desc=old", "service a add_env=X=1", "service b cmd=sleep 1",
		"socket s host=127.0.0.1", "socket s service=0", "proxy p cmd=x")
	file := "service a cmd=sleep 2\nservice b cmd=sleep 1\nservice c cmd=sleep 3\n" +
		"socket s host=127.0.0.1\nsocket s service=0\nsocket s nonblocking=1\nproxy p cmd=x\nproxy q noauto=1\n"
	plan := []string{"~ a: cmd, desc, add_env", "+ c", "~ socket s: nonblocking", "+ proxy q"}
	r.applyOK("dry-run", file, plan...)
	if got := r.ok("command list"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("a dry run declared: %q", got)
	}
	r.applyOK("", file, plan...)
	// whole configurations: what the file does not say went back to its default
	if got := r.ok("command desc"); !slices.Equal(got, []string{"a\t\t\t\tsleep 2", "b\t\t\t\tsleep 1", "c\t\t\t\tsleep 3"}) {
		t.Fatalf("desc after apply: %q", got)
	}
	if got := r.ok("command proxystatus"); !slices.Equal(got, []string{"p\tdown\t", "q\tdown\t"}) {
		t.Fatalf("proxies: %q", got)
	}
	r.applyOK("", file, "no changes")
	r.applyOK("dry-run", "", "- a", "- b", "- c", "- socket s", "- proxy p", "- proxy q")
	// no prune: nothing removed
	r.applyOK("", "service a cmd=sleep 2\n", "- b", "- c", "- socket s", "- proxy p", "- proxy q")
	if got := r.ok("command list"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("removed without prune: %q", got)
	}
	// prune: services destroyed; sockets and proxies stay (cfkd cannot forget them)
	r.applyOK("prune", "service a cmd=sleep 2\n", "- b", "- c", "- socket s", "- proxy p", "- proxy q")
	if got := r.ok("command list"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after prune: %q", got)
	}
	if got := r.ok("command sockets"); len(got) != 1 {
		t.Fatalf("socket forgotten: %q", got)
	}
}

func TestApplyRestartsChangedServicesThatAreUp(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	base := "service up1 cmd=sleep 1\nservice up1 startwait_secs=0.05\nservice up2 cmd=sleep 1\nservice up2 startwait_secs=0.05\n" +
		"service down cmd=sleep 1\n"
	r.applyOK("", base, "+ down", "+ up1", "+ up2")
	r.okDone("command start service up1", 1)
	r.okDone("command start service up2", 1)
	r.expectSeq("up1", starting, running)
	r.expectSeq("up2", starting, running)
	old := r.fake.launchCount()
	// up1: its command changes; up2: only a label; down: not up
	file := strings.Replace(base, "up1 cmd=sleep 1", "up1 cmd=sleep 2", 1) + "service up2 desc=label\nservice down cmd=sleep 2\n"
	r.applyOK("", file, "~ down: cmd", "~ up1: cmd", "~ up2: desc (in place)")
	r.expectSeq("up1", stopping, stopped, starting) // answered once started again
	if n := r.fake.launchCount(); n != old+1 {
		t.Fatalf("%d launches, want 1", n-old)
	}
	if l := r.fake.allLaunches()[old]; !slices.Equal(l.Spec.Argv, []string{"sleep", "2"}) {
		t.Fatalf("relaunched with %q", l.Spec.Argv)
	}
	r.expectQuiet("up2", 50*time.Millisecond)
	if st := r.status("down"); st[1] != "stopped" {
		t.Fatalf("down: %q", st)
	}
}

func TestApplyRollingOneAtATime(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	var file string
	for _, n := range []string{"w1", "w2", "w3"} {
		file += "service " + n + " cmd=sleep 1\nservice " + n + " startwait_secs=0.1\n"
	}
	r.ok(applyReq("", file), "command start all")
	for _, n := range []string{"w1", "w2", "w3"} {
		r.expectSeq(n, starting, running)
	}
	before := len(r.rec.Events())
	ch := r.async(applyReq("rolling", strings.ReplaceAll(file, "cmd=sleep 1", "cmd=sleep 2")))
	r.expectSeq("w1", stopping, stopped, starting, running)
	r.expectSeq("w2", stopping, stopped, starting, running)
	r.expectSeq("w3", stopping, stopped, starting, running)
	rep := r.reply("rolling apply", ch)
	if rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ w1: cmd", "~ w2: cmd", "~ w3: cmd"}) {
		t.Fatalf("reply %v %q", rep.Err, rep.Lines)
	}
	// one at a time: each one stopped only once the previous one ran again
	var order []string
	for _, ev := range r.rec.Events()[before:] {
		if ev.To == stopping || ev.To == running {
			order = append(order, ev.Name+":"+ev.To.String())
		}
	}
	want := []string{"w1:stopping", "w1:running", "w2:stopping", "w2:running", "w3:stopping", "w3:running"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %q", order)
	}
}

func TestApplyRollingStopsAtAFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	file := "service w1 cmd=sleep 1\nservice w1 startwait_secs=0.1\nservice w1 respawn_on_fail=0\n" +
		"service w2 cmd=sleep 1\nservice w2 startwait_secs=0.1\n"
	r.ok(applyReq("", file), "command start all")
	r.expectSeq("w1", starting, running)
	r.expectSeq("w2", starting, running)
	ch := r.async(applyReq("rolling", strings.ReplaceAll(file, "cmd=sleep 1", "cmd=sleep 2")))
	r.expectSeq("w1", stopping, stopped, starting)
	r.fake.exit(t, r.fake.waitLaunch(t, 3).Pid, exitCode(1))
	rep := r.reply("rolling apply", ch)
	want := []string{"~ w1: cmd", "~ w2: cmd", "w1: Service 'w1' did not come back up: fail (Exited with error 1)",
		"w2: not restarted: the rolling restart stopped at w1"}
	if rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("reply %v\n%s", rep.Err, strings.Join(rep.Lines, "\n"))
	}
	r.expectQuiet("w2", 50*time.Millisecond)
}

func TestApplyRefusals(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=sleep 1", "service s stopwait_secs=30", "command start service s")
	r.expectSeq("s", starting)
	destroy := r.async("command destroy service s")
	r.expectSeq("s", stopping)
	r.fails(applyReq("", "service s cmd=sleep 2\n"), "Service 's' is being destroyed")
	// a service being destroyed is not in the plan: it is going
	r.applyOK("dry-run", "", "no changes")
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	r.reply("destroy", destroy)
	r.ok("command shutdown")
	r.fails(applyReq("", "service s cmd=sleep 2\n"), "cfkd is shutting down")
}

// TestApplyPruneOfNoServiceRefused: a prune whose file declares no service
// (an empty one: a generator that failed in `gen | cfkctl apply --prune
// -`) is refused, a dry run too, and destroys nothing; without prune, or
// with nothing to destroy, it goes on.
func TestApplyPruneOfNoServiceRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.applyOK("prune", "", "no changes")
	r.ok("service a cmd=sleep 1", "service b cmd=sleep 1")
	const want = "the file declares no service: apply --prune would destroy every service (destroy all does that)"
	r.fails(applyReq("prune", ""), want)
	r.fails(applyReq("dry-run prune", "# nothing\n\n"), want)
	r.fails(applyReq("prune", "socket k host=127.0.0.1\nproxy p cmd=x\n"), want)
	if got := r.ok("command list"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("list after the refusals: %q", got)
	}
	r.applyOK("dry-run", "", "- a", "- b")
	r.applyOK("prune", "service a cmd=sleep 1\n", "- b")
}

// REFERENCE §1.4, §1.6: a bound socket keeps what it was bound with until
// it is bound again; every apply marks it, its attributes the same as the
// file's or not, so that a change applied once does not vanish from every
// later plan (`no changes`) to take effect at some later unbind and bind.
func TestApplyMarksASocketBoundWithAFormerDeclaration(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	other := r.bindLoopback("spare")
	// web bound with its port declared (a port of 0 declared is not the
	// port it got), spare's left free for web to move to
	r.ok("command unbind spare", "command unbind web", "socket web service="+port, "command bind web")
	base := "socket spare host=127.0.0.1\nsocket spare service=" + other + "\nsocket web host=127.0.0.1\n"
	r.applyOK("", base+"socket web service="+port+"\n", "~ socket spare: service")
	moved := base + "socket web service=" + other + "\n"
	r.applyOK("dry-run", moved, "~ socket web: service")
	r.applyOK("", moved, "~ socket web: service")
	r.applyOK("", moved, "~ socket web: (bound with a former declaration)")
	r.applyOK("", moved+"socket web nonblocking=1\n", "~ socket web: nonblocking (bound with a former declaration)")
	// back to what it was bound with: its last plan marks it still
	r.applyOK("", base+"socket web service="+port+"\n", "~ socket web: service, nonblocking (bound with a former declaration)")
	r.applyOK("", base+"socket web service="+port+"\n", "no changes")
	// bound again with the new declaration: nothing former left
	r.applyOK("", moved, "~ socket web: service")
	r.ok("command unbind web", "command bind web")
	r.applyOK("", moved, "no changes")
	if f := r.socketLine("web"); f[2] != other || f[3] != "bound" {
		t.Fatalf("web %q, want bound on %s", f, other)
	}
	// an unbound socket has no bind to be former
	r.ok("command unbind web")
	r.applyOK("", base+"socket web service="+port+"\n", "~ socket web: service")
	r.shutdownClean()
}
