package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
)

// gatewayRig is a host's gateway in an actor system of its own, with a
// local actor in the place of the hub: what the gateway answers comes to
// answers.
type gatewayRig struct {
	sys     *actor.ActorSystem
	gw, hub *actor.PID
	answers chan *wire.Answer
}

func newGatewayRig(t *testing.T) *gatewayRig {
	t.Helper()
	sys := actor.NewActorSystem()
	out := newOutbox(sys.Root)
	go out.run()
	r := &gatewayRig{sys: sys, answers: make(chan *wire.Answer, 1000)}
	gw := &gateway{local: &fakeLocal{name: "h1"}, out: out, name: "h1", version: "cfk test", log: quietLog(),
		calls: map[callKey]*gwCall{}, perHub: map[string]int{}, subs: map[callKey]*gwSub{}}
	r.gw = sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return gw }))
	r.hub = sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if a, ok := c.Message().(*wire.Answer); ok {
			r.answers <- a
		}
	}))
	t.Cleanup(func() { out.close(); sys.Shutdown() })
	return r
}

func (r *gatewayRig) request(id uint32, acks bool) {
	r.sys.Root.RequestWithCustomSender(r.gw, &wire.Request{Id: id, Hub: "hub", Lines: []string{"command version"}, Acks: acks}, r.hub)
}

func (r *gatewayRig) answer(t *testing.T) *wire.Answer {
	t.Helper()
	select {
	case a := <-r.answers:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
		return nil
	}
}

// TestGatewayCountsAnswersInFlightUntilAcknowledged: a hub that asks for
// acknowledgements (Request.acks) and does not acknowledge its answers
// has maxCallsPerHost requests in flight at the host once that many are
// answered, and its next one is refused: before, a request's room was
// freed once its answer was queued, so a hub that stopped reading while
// it sent made the host queue answers without bound (REFERENCE §12.6).
// An AnswerAck frees the room; so does the loss of the hub's connection.
// A hub that does not ask (an older one) is served as before.
func TestGatewayCountsAnswersInFlightUntilAcknowledged(t *testing.T) {
	r := newGatewayRig(t)
	for id := uint32(1); id <= maxCallsPerHost; id++ {
		r.request(id, true)
		if a := r.answer(t); a.Error != "" || !a.WantsAck {
			t.Fatalf("request %d: %+v", id, a)
		}
	}
	r.request(1000, true)
	if a := r.answer(t); !strings.Contains(a.Error, "too many requests from hub hub in flight") {
		t.Fatalf("a request past %d unacknowledged answers: %+v", maxCallsPerHost, a)
	}
	r.sys.Root.Send(r.gw, &wire.AnswerAck{Hub: "hub", Ids: []uint32{3, 5}})
	for _, id := range []uint32{1001, 1002} {
		r.request(id, true)
		if a := r.answer(t); a.Error != "" {
			t.Fatalf("request %d after two acknowledgements: %+v", id, a)
		}
	}
	r.request(1003, true)
	if a := r.answer(t); a.Error == "" {
		t.Fatalf("a third request after two acknowledgements: %+v", a)
	}
	// an acknowledgement naming another hub frees nothing of this one's
	r.sys.Root.Send(r.gw, &wire.AnswerAck{Hub: "other", Ids: []uint32{1, 2}})
	r.request(1004, true)
	if a := r.answer(t); a.Error == "" {
		t.Fatalf("a request after another hub's acknowledgement: %+v", a)
	}
	// the hub's connection lost: its answered calls are let go
	r.sys.Root.Send(r.gw, endpointLost{addr: r.hub.Address, at: time.Now()})
	r.request(1005, true)
	if a := r.answer(t); a.Error != "" {
		t.Fatalf("a request after the connection was lost: %+v", a)
	}
	// an older hub: no acknowledgement asked, none wanted
	r2 := newGatewayRig(t)
	for id := uint32(1); id <= 2*maxCallsPerHost; id++ {
		r2.request(id, false)
		if a := r2.answer(t); a.Error != "" || a.WantsAck {
			t.Fatalf("request %d of a hub that asks for no acknowledgement: %+v", id, a)
		}
	}
}

// TestHubAcknowledgesItsAnswers: a hub acknowledges each answer (over
// the fleet's connection, through the host's guard), so that many more
// requests than maxCallsPerHost, one after another, all run at a host
// that counts unacknowledged answers in flight.
func TestHubAcknowledgesItsAnswers(t *testing.T) {
	tf := newTestFleet(t, "web1")
	for i := range 3 * maxCallsPerHost {
		if _, out := outcomes(t, tf.ask("command fleet status")); out["web1"].Kind != messages.FleetOK {
			t.Fatalf("request %d: %+v", i+1, out["web1"])
		}
	}
}
