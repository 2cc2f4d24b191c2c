package integration

import (
	"io"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

const deadline = 10 * time.Second

// harness is one actor tree under test, with a recorder of every state
// change and every line services write.
type harness struct {
	t    *testing.T
	tree *actors.Tree
	rec  *testkit.Recorder // also woken by every line out captures

	// panics is guarded by the recorder's lock, which the conditions of
	// wait run under.
	panics []messages.ActorPanicked
	out    *capture
}

func newHarness(t *testing.T, opts ...func(*actors.Options)) *harness {
	t.Helper()
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	svcLog := logrus.New()
	svcLog.SetOutput(io.Discard)
	h := &harness{t: t}
	h.rec = testkit.NewRecorder(deadline, func(ev any) bool {
		p, ok := ev.(messages.ActorPanicked)
		if ok {
			h.panics = append(h.panics, p)
		}
		return ok
	})
	h.out = newCapture(h.rec.Notify)
	svcLog.AddHook(h.out)
	o := actors.Options{Launcher: newTreeLauncher(), Log: log, ServiceLog: svcLog, Version: "cfk-test"}
	for _, f := range opts {
		f(&o)
	}
	tree, err := actors.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	h.tree = tree
	h.rec.Subscribe(tree.System.EventStream)
	t.Cleanup(func() {
		h.shutdown()
		h.rec.Close()
		tree.Stop()
	})
	return h
}

// shutdown brings every service down through the controller, then kills
// whatever may be left of the processes it knew, whatever happened.
func (h *harness) shutdown() {
	pids := h.pids()
	r := h.tree.Exec("command shutdown", deadline)
	if r.Err != nil {
		h.t.Errorf("shutdown: %v", r.Err)
	}
	for _, pid := range pids {
		if alive(pid) {
			h.t.Errorf("pid %d still alive after shutdown: killing its group", pid)
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// pids returns every pid the services have now.
func (h *harness) pids() []int {
	r := h.tree.Exec("command pids", deadline)
	var out []int
	for _, l := range r.Lines {
		_, p, _ := strings.Cut(l, ": ")
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// exec runs one line and returns the reply.
func (h *harness) exec(line string) messages.Reply {
	h.t.Helper()
	return h.tree.Exec(line, deadline)
}

// ok runs lines that must all succeed; it returns the last reply's lines.
func (h *harness) ok(lines ...string) []string {
	h.t.Helper()
	var last []string
	for _, l := range lines {
		r := h.exec(l)
		if r.Err != nil {
			h.t.Fatalf("%q: unexpected error: %v", l, r.Err)
		}
		last = r.Lines
	}
	return last
}

// fails runs a line that must fail with exactly want.
func (h *harness) fails(line, want string) {
	h.t.Helper()
	r := h.exec(line)
	if r.Err == nil || r.Err.Error() != want {
		h.t.Fatalf("%q: got %v / %q, want error %q", line, r.Err, r.Lines, want)
	}
}

// wait blocks until cond (called under the lock) is true, or fails the
// test at the deadline.
func (h *harness) wait(what string, d time.Duration, cond func() bool) {
	h.t.Helper()
	h.rec.Wait(h.t, what, d, cond)
}

// expect waits for the next transition of name into state to, after the
// last one matched for that service, and returns it.
func (h *harness) expect(name string, to messages.State) messages.ServiceStateChanged {
	h.t.Helper()
	return h.rec.Expect(h.t, name, to)
}

// expectSeq waits for exactly these next transitions of name, in order.
func (h *harness) expectSeq(name string, states ...messages.State) []messages.ServiceStateChanged {
	h.t.Helper()
	return h.rec.ExpectSeq(h.t, name, states...)
}

// expectNone watches name for window and fails if it enters state to.
func (h *harness) expectNone(name string, to messages.State, window time.Duration) {
	h.t.Helper()
	h.rec.ExpectNone(h.t, name, to, window)
}

// expectLine waits for a line logged by a service that satisfies match.
func (h *harness) expectLine(what string, match func(*logrus.Entry) bool) *logrus.Entry {
	h.t.Helper()
	var got *logrus.Entry
	h.wait("log line "+what, deadline, func() bool {
		for _, e := range h.out.AllEntries() {
			if match(e) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// status returns the status fields of one service.
func (h *harness) status(name string) []string {
	h.t.Helper()
	lines := h.ok("command status service " + name)
	if len(lines) != 1 {
		h.t.Fatalf("status %s: %q", name, lines)
	}
	return strings.Split(lines[0], "\t")
}

// waitGone waits until pid is gone (or a zombie).
func (h *harness) waitGone(pid int) {
	h.t.Helper()
	h.poll("pid "+strconv.Itoa(pid)+" gone", func() bool { return !alive(pid) })
}

// poll waits for a condition on the system (/proc) that no event
// announces, checking it every 10 ms until the deadline. Tests only: the
// daemon never polls.
func (h *harness) poll(what string, cond func() bool) {
	h.t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			h.t.Fatalf("timed out after %v waiting for %s", deadline, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func transitions(evs []messages.ServiceStateChanged) []string { return testkit.Transitions(evs) }
