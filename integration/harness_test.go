package integration

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

const deadline = 10 * time.Second

// harness is one actor tree under test, with a recorder of every state
// change and every line services write.
type harness struct {
	t    *testing.T
	tree *actors.Tree

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every new event or line
	events  []messages.ServiceStateChanged
	cursor  map[string]int // per service: index after the last matched event
	panics  []messages.ActorPanicked
	out     *capture
}

func newHarness(t *testing.T, opts ...func(*actors.Options)) *harness {
	t.Helper()
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	svcLog := logrus.New()
	svcLog.SetOutput(io.Discard)
	h := &harness{t: t, changed: make(chan struct{}), cursor: map[string]int{}}
	h.out = newCapture(func() { h.mu.Lock(); h.notifyLocked(); h.mu.Unlock() })
	svcLog.AddHook(h.out)
	o := actors.Options{Launcher: launcher, Log: log, ServiceLog: svcLog, Version: "cfk-test"}
	for _, f := range opts {
		f(&o)
	}
	tree, err := actors.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	h.tree = tree
	sub := tree.System.EventStream.Subscribe(func(ev any) {
		h.mu.Lock()
		defer h.mu.Unlock()
		switch e := ev.(type) {
		case messages.ServiceStateChanged:
			h.events = append(h.events, e)
		case messages.ActorPanicked:
			h.panics = append(h.panics, e)
		default:
			return
		}
		h.notifyLocked()
	})
	t.Cleanup(func() {
		h.shutdown()
		tree.System.EventStream.Unsubscribe(sub)
		tree.Stop()
	})
	return h
}

func (h *harness) notifyLocked() {
	close(h.changed)
	h.changed = make(chan struct{})
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
	timeout := time.After(d)
	for {
		h.mu.Lock()
		done, ch := cond(), h.changed
		h.mu.Unlock()
		if done {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			h.t.Fatalf("timed out after %v waiting for %s; events: %v", d, what, h.history())
		}
	}
}

// expect waits for the next transition of name into state to, after the
// last one matched for that service, and returns it.
func (h *harness) expect(name string, to messages.State) messages.ServiceStateChanged {
	h.t.Helper()
	var got messages.ServiceStateChanged
	h.wait(name+" → "+to.String(), deadline, func() bool {
		for i := h.cursor[name]; i < len(h.events); i++ {
			if e := h.events[i]; e.Name == name && e.To == to {
				got, h.cursor[name] = e, i+1
				return true
			}
		}
		return false
	})
	return got
}

// expectSeq waits for exactly these next transitions of name, in order.
func (h *harness) expectSeq(name string, states ...messages.State) []messages.ServiceStateChanged {
	h.t.Helper()
	var got []messages.ServiceStateChanged
	h.wait(name+" sequence "+statesText(states), deadline, func() bool {
		got = got[:0]
		i := h.cursor[name]
		for ; i < len(h.events) && len(got) < len(states); i++ {
			if e := h.events[i]; e.Name == name {
				got = append(got, e)
			}
		}
		if len(got) < len(states) {
			return false
		}
		h.cursor[name] = i
		return true
	})
	for i, e := range got {
		if e.To != states[i] {
			h.t.Fatalf("%s: transitions %v, want %s", name, transitions(got), statesText(states))
		}
	}
	return got
}

// expectNone watches name for window and fails if it enters state to.
func (h *harness) expectNone(name string, to messages.State, window time.Duration) {
	h.t.Helper()
	end := time.After(window)
	for {
		h.mu.Lock()
		for i := h.cursor[name]; i < len(h.events); i++ {
			if e := h.events[i]; e.Name == name && e.To == to {
				h.mu.Unlock()
				h.t.Fatalf("%s entered %s unexpectedly; events: %v", name, to, h.history())
			}
		}
		ch := h.changed
		h.mu.Unlock()
		select {
		case <-ch:
		case <-end:
			return
		}
	}
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

func (h *harness) history() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return transitions(h.events)
}

func transitions(evs []messages.ServiceStateChanged) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Name + ":" + e.From.String() + "→" + e.To.String()
		if e.Reason != "" {
			out[i] += "(" + e.Reason + ")"
		}
	}
	return out
}

func statesText(s []messages.State) string {
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, "→")
}
