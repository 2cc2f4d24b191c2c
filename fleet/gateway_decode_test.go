package fleet

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// stmtLocal answers every statement `done 1`, and records what it was
// asked, an Apply as `apply N services`.
type stmtLocal struct {
	fakeLocal
	mu    sync.Mutex
	stmts []string
}

func (l *stmtLocal) Ask(st messages.Statement, answer func(messages.Reply)) {
	s := fmt.Sprintf("%T", st)
	if a, ok := st.(messages.Apply); ok {
		s = fmt.Sprintf("apply %d services", len(a.Want.Services))
	}
	l.mu.Lock()
	l.stmts = append(l.stmts, s)
	l.mu.Unlock()
	go answer(messages.Reply{Lines: []string{"done 1"}})
}

func (l *stmtLocal) asked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.stmts...)
}

// decodeRig is a gateway whose decodings of applies wait for release
// once they said so on entered.
type decodeRig struct {
	*gatewayRig
	local            *stmtLocal
	log              *logLines
	entered, release chan struct{}
	once             sync.Once
}

// releaseAll lets every decoding go on, now and from now on.
func (r *decodeRig) releaseAll() { r.once.Do(func() { close(r.release) }) }

func newDecodeRig(t *testing.T, allow string) *decodeRig {
	t.Helper()
	pol, err := ParsePolicy(allow)
	if err != nil {
		t.Fatal(err)
	}
	r := &decodeRig{gatewayRig: &gatewayRig{}, local: &stmtLocal{}, log: &logLines{},
		entered: make(chan struct{}, 10), release: make(chan struct{})}
	t.Cleanup(r.releaseAll)
	lg := logrus.New()
	lg.SetOutput(io.Discard)
	lg.AddHook(r.log)
	r.sys, r.gw = spawnGateway(t, r.local, func(g *gateway) {
		g.policy, g.log = pol, lg
		g.beforeDecode = func() {
			r.entered <- struct{}{}
			<-r.release
		}
	})
	r.hub, r.answers = collector[*wire.Answer](r.sys, 100)
	return r
}

func (r *decodeRig) send(id uint32, lines ...string) {
	r.sys.Root.RequestWithCustomSender(r.gw, &wire.Request{Id: id, Hub: "hub", Lines: lines}, r.hub)
}

// TestGatewayDecodesAppliesOffTheActor: a hub's apply was decoded in
// the gateway's Receive, 16 MiB of text inflated while no other message
// of any hub was read (REFERENCE §12.6). It is decoded by a goroutine
// now: while the decoding waits, the gateway answers another request,
// and then the call runs its lines in their order, the apply decoded.
func TestGatewayDecodesAppliesOffTheActor(t *testing.T) {
	r := newDecodeRig(t, "apply")
	apply := "command apply " + messages.EncodeApplyData("service a cmd=sleep 1\nservice b cmd=sleep 1\n")
	r.send(1, "command version", apply, "command status")
	within(t, r.entered, "the apply was not decoded")
	r.send(2, "command version")
	if a := r.answer(t); a.Id != 2 || a.Error != "" {
		t.Fatalf("the answer while an apply is decoded: %+v (want request 2's)", a)
	}
	r.releaseAll()
	if a := r.answer(t); a.Id != 1 || a.Error != "" || len(a.Lines) != 3 {
		t.Fatalf("the answer of the apply: %+v", a)
	}
	got := strings.Join(r.local.asked(), ", ")
	want := "messages.ControlCommand, messages.ControlCommand, apply 2 services, messages.ControlCommand"
	if got != want {
		t.Fatalf("asked %s, want %s", got, want)
	}
	if !strings.Contains(r.log.text(), "command apply (2 services, 0 sockets, 0 proxies)") {
		t.Fatalf("the apply is not audited: %s", r.log.text())
	}
}

// TestGatewayRefusesAppliesBeforeDecoding: an apply the policy refuses
// (operate alone) is refused and audited before its DATA is decoded, as
// by an admin console (REFERENCE §5.5); a dry run, which operate may
// run, is checked again once decoded (add_env); a DATA that does not
// decode is refused with Parse's error.
func TestGatewayRefusesAppliesBeforeDecoding(t *testing.T) {
	r := newDecodeRig(t, "")
	data := messages.EncodeApplyData("service a cmd=sleep 1\n")
	r.send(1, "command version", "command apply prune "+data)
	if a := r.answer(t); a.Id != 1 || a.Error != "not authorized" {
		t.Fatalf("%+v", a)
	}
	rec := fmt.Sprintf("not authorized: command apply prune (%d bytes of DATA) (the fleet allows operate: --fleet-allow)", len(data))
	if !strings.Contains(r.log.text(), rec) {
		t.Fatalf("no record %q: %s", rec, r.log.text())
	}
	select {
	case <-r.entered:
		t.Fatal("a refused apply was decoded")
	default:
	}
	r.releaseAll()
	r.send(2, "command apply dry-run "+messages.EncodeApplyData("service a add_env=K=v\n"))
	if a := r.answer(t); a.Id != 2 || a.Error != "not authorized" {
		t.Fatalf("a dry run declaring add_env: %+v", a)
	}
	if !strings.Contains(r.log.text(), "not authorized: command apply dry-run (1 services, 0 sockets, 0 proxies)") {
		t.Fatalf("the dry run's refusal is not audited: %s", r.log.text())
	}
	bad := "command apply dry-run bm90IGd6aXA="
	_, perr := messages.Parse(bad)
	r.send(3, bad)
	if a := r.answer(t); a.Id != 3 || perr == nil || a.Error != perr.Error() {
		t.Fatalf("a DATA that does not decode: %+v (want %v)", a, perr)
	}
	if n := len(r.local.asked()); n != 0 {
		t.Fatalf("%d statements ran", n)
	}
	// answered, the dry run and the bad DATA were decoded; the apply
	// refused first never was, however late its decoding would start
	if n := len(r.entered); n != 2 {
		t.Fatalf("%d decodings, want 2", n)
	}
}

// TestGatewayApplyDecodedForAHubGone: a call whose hub's connection is
// lost while its apply is decoded goes on as one being run does (an
// orphan, answered if the hub is still connected); an apply of another
// call waits for the decoding under way, then is decoded. A decoding
// under way when the gateway stops ends too, its result dropped (a dead
// letter), without a panic.
func TestGatewayApplyDecodedForAHubGone(t *testing.T) {
	r := newDecodeRig(t, "apply")
	var gone sync.Once
	goneCh := make(chan struct{})
	r.sys.EventStream.Subscribe(func(evt any) {
		if d, ok := evt.(*actor.DeadLetterEvent); ok {
			if _, ok := d.Message.(applyDecoded); ok {
				gone.Do(func() { close(goneCh) })
			}
		}
	})
	apply := "command apply dry-run " + messages.EncodeApplyData("service a cmd=sleep 1\n")
	r.send(1, apply)
	within(t, r.entered, "the apply was not decoded")
	r.sys.Root.Send(r.gw, endpointLost{addr: r.hub.Address})
	r.send(2, apply) // waits for the first decoding
	r.release <- struct{}{}
	within(t, r.entered, "the second apply was not decoded")
	if a := r.answer(t); a.Id != 1 {
		t.Fatalf("%+v", a)
	}
	if err := r.sys.Root.StopFuture(r.gw).Wait(); err != nil {
		t.Fatal(err)
	}
	r.releaseAll()
	within(t, goneCh, "the decoding under way at the stop did not end")
}

// A decoded apply that reaches a gateway stopped meanwhile is a dead
// letter, which protoactor logs with its message: it names no add_env
// value (REFERENCE §5.5).
func TestGatewayApplyDecodedNamesNoSecret(t *testing.T) {
	st, err := messages.Parse("command apply dry-run " + messages.EncodeApplyData("service a cmd=sleep 1\nservice a add_env=K=s3cr3t-value\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := applyDecoded{key: callKey{"hub1", 7}, c: &gwCall{req: []string{"x"}}, a: st.(messages.Apply)}
	for _, s := range []string{fmt.Sprint(m), fmt.Sprintf("%+v", m), fmt.Sprintf("%#v", m)} {
		if strings.Contains(s, "s3cr3t") || s != "applyDecoded{hub hub1, request 7: 1 services, 0 sockets, 0 proxies}" {
			t.Errorf("a decoded apply printed %q", s)
		}
	}
}
