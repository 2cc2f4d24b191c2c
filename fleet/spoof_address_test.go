package fleet

import (
	"net"
	"strings"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"google.golang.org/protobuf/proto"
)

// spoofCtx is the little of an actor.Context that hub.Receive reads
// for an Accepted.
type spoofCtx struct {
	actor.Context
	msg    any
	sender *actor.PID
}

func (c spoofCtx) Message() any       { return c.msg }
func (c spoofCtx) Sender() *actor.PID { return c.sender }

// answersAsAnother fails a host's call on an Accepted
// from another member "from the host's address", trusting "the guard
// having checked its address against its certificate". The guard checks
// the sender address of a hub's messages only (guard.check): a host's
// Accepted passes whatever sender address it claims. So host web2, on
// another machine, with its own valid certificate, can fail any call the
// hub has in flight to web1 (their ids are consecutive) by answering it
// with web1's address as sender: web1 is reported down, "start it with
// web1's certificate", though web1 is fine. Before the commit a host
// could not touch another host's calls (callOf checks the name).
func TestHostSpoofsAnotherHostsAddress(t *testing.T) {
	const hubAddr, web1Addr = "10.0.0.1:7000", "10.0.0.2:7000"
	// 1. the guard of the hub lets web2 (cert for 10.0.0.3) through with
	// web1's address as its sender
	g := &guard{log: quietLog(), hub: true, self: func() string { return hubAddr }}
	data, _ := proto.Marshal(&wire.Accepted{Id: 41, Host: "web2"})
	b := &remote.MessageBatch{
		TypeNames: []string{typeName(&wire.Accepted{})},
		Targets:   []*actor.PID{{Address: hubAddr, Id: hubName}},
		Senders:   []*actor.PID{{Address: web1Addr, Id: gatewayName}},
		Envelopes: []*remote.MessageEnvelope{{MessageData: data, Sender: 1}},
	}
	web2 := certs.Identity{Name: "web2", Role: certs.RoleHost}
	if why := g.check(b, b.Envelopes[0], web2, certAddrs{ips: []net.IP{net.ParseIP("10.0.0.3")}}); why != "" {
		if !strings.Contains(why, "asks for its answers at "+web1Addr+", an address its certificate does not name") {
			t.Fatalf("the guard drops it, saying %q", why)
		}
		return // dropped: the hub never sees it
	}
	// 2. the hub, given that Accepted, fails its call to web1
	h := &hub{inv: []Host{{Name: "web1", Addr: web1Addr}, {Name: "web2", Addr: "10.0.0.3:7000"}},
		calls: map[uint32]*hubCall{}, perHost: make([]int, 2)}
	replies := make(chan messages.Reply, 1)
	o := &op{hosts: []int{0}, res: map[int]*result{}, left: 1, answer: func(r messages.Reply) { replies <- r }}
	h.calls[41] = &hubCall{id: 41, host: 0, op: o}
	h.perHost[0]++
	h.Receive(spoofCtx{msg: &wire.Accepted{Id: 41, Host: "web2"}, sender: b.Senders[0]})
	select {
	case r := <-replies:
		t.Fatalf("host web2 (certificate for 10.0.0.3), claiming web1's address, failed the hub's call to web1: %s",
			strings.Join(r.Lines, " | "))
	default:
	}
}
