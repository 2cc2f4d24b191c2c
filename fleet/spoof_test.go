package fleet

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"google.golang.org/protobuf/proto"
)

// versionLocal answers `command version` with a line of its own at once,
// and `command status` after statusDelay, recording that status was
// asked.
type versionLocal struct {
	name        string
	statusDelay time.Duration
	mu          sync.Mutex
	statusAsked bool
}

func (z *versionLocal) Ask(st messages.Statement, answer func(messages.Reply)) {
	cmd, _ := st.(messages.ControlCommand)
	var r messages.Reply
	delay := time.Duration(0)
	switch cmd.Verb {
	case messages.VerbStatus:
		z.mu.Lock()
		z.statusAsked = true
		z.mu.Unlock()
		r.Lines = []string{"svc1\trunning\t4711\t1795274153\t\t\t\tsleep 100"}
		delay = z.statusDelay
	case messages.VerbVersion:
		r.Lines = []string{"FORGED-BY-HUB2"}
	default:
		r.Lines = []string{"done 1"}
	}
	go func() { time.Sleep(delay); answer(r) }()
}

func (z *versionLocal) Subscribe(sel messages.Selector, b actors.Backlog) *actors.Feed {
	return actors.NewFeed(b, nil, nil)
}

func (z *versionLocal) asked() bool { z.mu.Lock(); defer z.mu.Unlock(); return z.statusAsked }

// TestHubCannotRouteAnswersElsewhere: a second hub (hub2, a valid hub
// certificate) sends web1 a Request whose protoactor sender is the first
// hub's hub actor. web1's gateway answered that sender, as web1: hub2's
// answer landed in the first hub's pending call of the same id (hub2
// spoke to the other hub through a host, which the guard refuses when it
// tries directly). The guard now drops a hub's message whose sender
// address its certificate does not name.
func TestHubCannotRouteAnswersElsewhere(t *testing.T) {
	skipRace(t)
	cf := newCertFleet(t,
		certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		certs.Member{Name: "hub2", Role: certs.RoleHub, Addr: "127.0.0.4:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.3:1"})
	loc := &versionLocal{name: "web1", statusDelay: 3 * time.Second}
	web1 := cf.serve("web1", "127.0.0.3:0", "", loc)
	inv := cf.inventory("inventory", fmt.Sprintf("host web1 addr=%s\n", web1.Address()))
	hub := cf.serve("hub", "127.0.0.2:0", inv, &versionLocal{name: "hub"})

	// hub's admin asks web1's status: call id 1, answered after 3 s
	st, err := messages.Parse("command fleet status")
	if err != nil {
		t.Fatal(err)
	}
	replies := make(chan messages.Reply, 1)
	hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { replies <- r })
	for end := time.Now().Add(5 * time.Second); !loc.asked(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("web1 was never asked its status")
		}
	}

	// hub2 asks web1 `command version` as call 1, reply-to: hub's hub actor
	c2 := cf.conf("hub2", "", "")
	hub2, err := certs.Load(c2.CA, c2.Cert, c2.Key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := testkit.RawFleetStream(t, web1.Address(), hub2.Client(certs.RoleHost))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := proto.Marshal(&wire.Request{Id: 1, Hub: "hub2", Lines: []string{"command version"}})
	b := &remote.MessageBatch{
		TypeNames: []string{typeName(&wire.Request{})},
		Targets:   []*actor.PID{{Address: web1.Address(), Id: gatewayName}},
		Senders:   []*actor.PID{{Address: hub.Address(), Id: hubName}},
		Envelopes: []*remote.MessageEnvelope{{MessageData: data, Sender: 1}},
	}
	if err := s.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: b}}); err != nil {
		t.Fatal(err)
	}

	var r messages.Reply
	select {
	case r = <-replies:
	case <-time.After(15 * time.Second):
		t.Fatal("no reply from the hub")
	}
	lines, out := outcomes(t, r)
	if strings.Contains(strings.Join(lines["web1"], "\n"), "FORGED-BY-HUB2") || out["web1"].Kind != messages.FleetOK ||
		len(lines["web1"]) != 1 || !strings.HasPrefix(lines["web1"][0], "svc1\trunning") {
		t.Fatalf("hub's `fleet status` of web1 got hub2's answer: lines %q outcome %+v", lines["web1"], out["web1"])
	}
}
