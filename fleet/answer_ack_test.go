package fleet

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/fleet/certs"
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
	return newGatewayRigAt(t, &fakeLocal{name: "h1"})
}

func newGatewayRigAt(t *testing.T, local *fakeLocal) *gatewayRig {
	t.Helper()
	r := &gatewayRig{}
	r.sys, r.gw = spawnGateway(t, local, nil)
	r.hub, r.answers = collector[*wire.Answer](r.sys, 1000)
	return r
}

func (r *gatewayRig) request(id uint32, acks bool) {
	r.sys.Root.RequestWithCustomSender(r.gw, &wire.Request{Id: id, Hub: "hub", Lines: []string{"command version"}, Acks: acks}, r.hub)
}

func (r *gatewayRig) answer(t *testing.T) *wire.Answer {
	t.Helper()
	return within(t, r.answers, "no answer")
}

// TestGatewayCountsAnswersInFlightUntilAcknowledged: a hub that asks for
// acknowledgements (Request.acks) and does not acknowledge its answers
// has maxCallsPerHost requests in flight at the host once that many are
// answered; its next ones are refused, and the refusals count too, up to
// maxRefusalsUnacked; past that, its requests are dropped unanswered.
// Before, a request's room was freed once its answer was queued, so a hub
// that stopped reading while it sent made the host queue answers without
// bound (REFERENCE §12.6). An AnswerAck frees the room; so does the loss
// of the hub's connection. A hub that does not ask (an older one) is
// served as before.
func TestGatewayCountsAnswersInFlightUntilAcknowledged(t *testing.T) {
	r := newGatewayRig(t)
	for id := uint32(1); id <= maxCallsPerHost; id++ {
		r.request(id, true)
		if a := r.answer(t); a.Error != "" || !a.WantsAck {
			t.Fatalf("request %d: %+v", id, a)
		}
	}
	var refused []uint32
	for id := uint32(1000); id < 1000+maxRefusalsUnacked; id++ {
		r.request(id, true)
		if a := r.answer(t); !strings.Contains(a.Error, "too many requests from hub hub in flight") || !a.WantsAck {
			t.Fatalf("request %d past %d unacknowledged answers: %+v", id, maxCallsPerHost, a)
		}
		refused = append(refused, id)
	}
	r.request(2000, true) // dropped: nothing more is queued for this hub
	r.sys.Root.Send(r.gw, &wire.AnswerAck{Hub: "hub", Ids: []uint32{3}})
	r.request(2001, true)
	if a := r.answer(t); a.Id != 2001 || a.Error == "" {
		t.Fatalf("the answer after a dropped request and one acknowledgement: %+v (want 2001's refusal)", a)
	}
	// an acknowledgement naming another hub frees nothing of this one's
	r.sys.Root.Send(r.gw, &wire.AnswerAck{Hub: "other", Ids: []uint32{1, 2}})
	r.sys.Root.Send(r.gw, &wire.AnswerAck{Hub: "hub", Ids: append(refused, 2001, 5)})
	for _, id := range []uint32{3000, 3001} {
		r.request(id, true)
		if a := r.answer(t); a.Id != id || a.Error != "" {
			t.Fatalf("request %d after its room was acknowledged: %+v", id, a)
		}
	}
	r.request(3002, true)
	if a := r.answer(t); a.Error == "" {
		t.Fatalf("a request past the room acknowledged: %+v", a)
	}
	// the hub's connection lost: its answered calls are let go
	r.sys.Root.Send(r.gw, endpointLost{addr: r.hub.Address, at: time.Now()})
	r.request(4000, true)
	if a := r.answer(t); a.Id != 4000 || a.Error != "" {
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

// TestHubSendsItsAcknowledgementsAgainOnANewConnection: the hub
// acknowledges an answer that wants it at once, and once more when a
// connection to the host is made: one sent on a connection that was lost
// may never have come, and the host would hold that request's room until
// its own connection to the hub broke.
func TestHubSendsItsAcknowledgementsAgainOnANewConnection(t *testing.T) {
	sys := actor.NewActorSystem()
	out := newOutbox(sys.Root)
	go out.run()
	t.Cleanup(func() { out.close(); sys.Shutdown() })
	acks := make(chan *wire.AnswerAck, 16)
	// the host's address is not served here: what goes there is a dead letter
	sub := sys.EventStream.Subscribe(func(ev any) {
		if d, ok := ev.(*actor.DeadLetterEvent); ok {
			if a, ok := d.Message.(*wire.AnswerAck); ok {
				acks <- a
			}
		}
	})
	t.Cleanup(func() { sys.EventStream.Unsubscribe(sub) })
	n := &Node{out: out, inv: []Host{{Name: "h1", Addr: "127.0.0.9:1"}}, creds: &certs.Credentials{ID: certs.Identity{Name: "hub"}},
		cfg: Config{Timeout: time.Second, Log: quietLog()}}
	h := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newHub(n) }))
	ack := func(what string) *wire.AnswerAck {
		t.Helper()
		return within(t, acks, "no acknowledgement "+what)
	}
	sys.Root.Send(h, &wire.Answer{Id: 7, Host: "h1", WantsAck: true})
	if a := ack("of the answer"); !slices.Equal(a.Ids, []uint32{7}) || a.Hub != "hub" {
		t.Fatalf("acknowledged %+v", a)
	}
	sys.Root.Send(h, &wire.Answer{Id: 8, Host: "h1"}) // wants none
	sys.Root.Send(h, endpointUp{addr: "127.0.0.9:1"})
	if a := ack("on the new connection"); !slices.Equal(a.Ids, []uint32{7}) {
		t.Fatalf("acknowledged again %+v", a)
	}
}

// TestGatewayLetsOrphansGoFromTheCount: the requests still running when
// the hub's connection is lost no longer count against it: the hub let
// them go with the connection, and its next requests found no room (16
// refused, the rest dropped unanswered) although it reads everything.
func TestGatewayLetsOrphansGoFromTheCount(t *testing.T) {
	r := newGatewayRigAt(t, &fakeLocal{name: "h1", delay: 2 * time.Second})
	for id := uint32(1); id <= maxCallsPerHost; id++ {
		r.request(id, true) // running
	}
	r.sys.Root.Send(r.gw, endpointLost{addr: r.hub.Address, at: time.Now()})
	const burst = 20
	for id := uint32(100); id < 100+burst; id++ {
		r.request(id, true)
	}
	got := map[uint32]bool{}
	for len(got) < burst {
		a := r.answer(t)
		if a.Id < 100 {
			continue // an orphan's answer
		}
		if a.Error != "" {
			t.Fatalf("request %d after the connection came back: %+v", a.Id, a)
		}
		got[a.Id] = true
	}
}
