package actors

import (
	"reflect"
	"slices"
	"syscall"
	"testing"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
)

// Only the multi-service verbs have a service message, each the intended
// one; any other verb, declared or not, has none (and so never becomes a
// DestroyService).
func TestServiceMessageTable(t *testing.T) {
	const req = messages.RequestID(7)
	want := map[messages.Verb]any{
		messages.VerbStart:          messages.StartService{Req: req},
		messages.VerbStop:           messages.StopService{Req: req},
		messages.VerbUp:             messages.UpService{Req: req},
		messages.VerbDown:           messages.DownService{Req: req},
		messages.VerbRestart:        messages.RestartService{Req: req},
		messages.VerbRollingRestart: messages.RestartService{Req: req, UntilRunning: true},
		messages.VerbDestroy:        messages.DestroyService{Req: req},
		messages.VerbSignal:         messages.SignalService{Req: req, Sig: syscall.SIGHUP},
	}
	verbs := testkit.DeclaredVerbs(t)
	if len(verbs) < 19 {
		t.Fatalf("found only %d verbs in package messages: %q", len(verbs), verbs)
	}
	for v := range want {
		if !slices.Contains(verbs, v) {
			t.Errorf("verb %q is not declared in package messages", v)
		}
	}
	for v := range serviceMessages {
		if !slices.Contains(verbs, v) {
			t.Errorf("the table has %q, which package messages does not declare", v)
		}
	}
	for _, v := range verbs {
		mk, ok := serviceMessage(messages.ControlCommand{Verb: v, Arg: "HUP"})
		w, multi := want[v]
		switch {
		case multi && !ok:
			t.Errorf("%q: no service message", v)
		case multi && !reflect.DeepEqual(mk(req), w):
			t.Errorf("%q: message %#v, want %#v", v, mk(req), w)
		case !multi && (ok || mk != nil):
			t.Errorf("%q: has a service message (%#v), want none", v, mk(req))
		}
	}
	for _, v := range []messages.Verb{"", "bogus", "DESTROY", "Destroy", " destroy", "destroy ", "destroyy", "start\x00"} {
		if mk, ok := serviceMessage(messages.ControlCommand{Verb: v}); ok || mk != nil {
			t.Errorf("out-of-range verb %q: has a service message (%#v)", v, mk(req))
		}
	}
}

// A ControlCommand whose verb is not a known one, with a selector, is an
// unknown command: the selected service is neither destroyed nor touched.
func TestUnknownVerbWithASelectorTouchesNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.startRunning("s")
	for _, v := range []messages.Verb{"", "bogus", "DESTROY", "destroyy"} {
		for _, sel := range []messages.Selector{{Kind: messages.SelectService, Name: "s"}, {Kind: messages.SelectAll}, {}} {
			rep, err := r.tree.Request(messages.ControlCommand{Verb: v, Sel: sel}, deadline)
			if err != nil {
				t.Fatal(err)
			}
			if want := "unknown command '" + string(v) + "'"; rep.Err == nil || rep.Err.Error() != want {
				t.Fatalf("verb %q %+v: got error %v / lines %q, want %q", v, sel, rep.Err, rep.Lines, want)
			}
		}
	}
	r.ok("service s desc=still here") // refused if s were being destroyed
	if got := r.ok("command list"); !slices.Equal(got, []string{"s"}) {
		t.Fatalf("list %q", got)
	}
	if st := r.status("s"); st[1] != "running" {
		t.Fatalf("status %q", st)
	}
	r.expectQuiet("s", window)
}
