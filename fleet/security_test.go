package fleet

import (
	"context"
	"github.com/cfk/cfk/internal/testkit"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func (tf *testFleet) creds(name string) *certs.Credentials {
	tf.t.Helper()
	c, k := certs.Files(name)
	cr, err := certs.Load(filepath.Join(tf.dir, certs.CAFile), filepath.Join(tf.dir, c), filepath.Join(tf.dir, k))
	if err != nil {
		tf.t.Fatal(err)
	}
	return cr
}

// statusOK checks that every host answers a fleet status.
func (tf *testFleet) statusOK(hosts ...string) {
	tf.t.Helper()
	_, out := outcomes(tf.t, tf.ask("command fleet status"))
	for _, h := range hosts {
		if out[h].Kind != messages.FleetOK {
			tf.t.Fatalf("%s: %+v", h, out[h])
		}
	}
}

// TestForeignPeersRefused: a plaintext client, a certificate from another
// CA, and a host's certificate are refused by a host before any message
// is read; the host goes on answering its hub.
func TestForeignPeersRefused(t *testing.T) {
	tf := newTestFleet(t, "web1")
	addr := tf.hosts[0].Address()
	if _, err := testkit.RawFleetStream(t, addr, nil); err == nil {
		t.Fatal("a plaintext client got a stream")
	}
	other := &testFleet{t: t, dir: t.TempDir()}
	if err := certs.Generate(other.dir, []certs.Member{{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.1:1"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	foreign := other.creds("hub")
	cfg := foreign.Client(certs.RoleHost)
	cfg.RootCAs = tf.creds("hub").CA // it trusts the host: only its own certificate is foreign
	if _, err := testkit.RawFleetStream(t, addr, cfg); err == nil {
		t.Fatal("a hub of another CA got a stream")
	}
	if _, err := testkit.RawFleetStream(t, addr, tf.creds("web1").Client(certs.RoleHost)); err == nil {
		t.Fatal("a host got a stream to a host")
	}
	if _, err := testkit.RawFleetStream(t, addr, tf.creds("hub").Client(certs.RoleHost)); err != nil {
		t.Fatalf("the hub's own certificate: %v", err)
	}
	// a hub of another CA, with an inventory, reports the host down
	inv := filepath.Join(other.dir, "inventory")
	writeFile(t, inv, "host web1 addr="+addr+"\n")
	c := tf.config("hub", inv)
	c.CA, c.Cert, c.Key = filepath.Join(other.dir, certs.CAFile), filepath.Join(other.dir, "hub.pem"), filepath.Join(other.dir, "hub.key")
	n, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Serve(&fakeLocal{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	tf2 := &testFleet{t: t, hub: n}
	if _, out := outcomes(t, tf2.ask("command fleet status")); out["web1"].Kind != messages.FleetDown {
		t.Fatalf("foreign hub: %+v", out)
	}
	tf.statusOK("web1")
}

// TestHostileMessages: a peer with a valid hub certificate sends what
// protoactor would choke on or obey: an unknown type name (its proto
// serializer dereferences nil), PoisonPill and Stop to the gateway, a
// request to an actor that is not the gateway, one that says it is from
// another hub, indexes out of the batch's tables, another serializer; and
// calls the unary methods protoactor leaves unimplemented (they panic).
// The host neither crashes nor stops its gateway, and runs none of it.
func TestHostileMessages(t *testing.T) {
	tf := newTestFleet(t, "web1")
	addr := tf.hosts[0].Address()
	hubCreds := tf.creds("hub")
	data := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gw := &actor.PID{Address: addr, Id: gatewayName}
	req := data(&wire.Request{Id: 9, Hub: "hub", Lines: []string{"command stop all"}})
	batches := []*remote.MessageBatch{
		{TypeNames: []string{"no.such.Type"}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: []byte{1, 2, 3}}}},
		{TypeNames: []string{"actor.PoisonPill"}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: data(&actor.PoisonPill{})}}},
		{TypeNames: []string{"actor.Stop"}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: data(&actor.Stop{})}}},
		{TypeNames: []string{"actor.Stop"}, Targets: []*actor.PID{{Address: addr, Id: "EndpointSupervisor"}}, Envelopes: []*remote.MessageEnvelope{{MessageData: data(&actor.Stop{})}}},
		{TypeNames: []string{typeName(&wire.Request{})}, Targets: []*actor.PID{{Address: addr, Id: "activator"}}, Envelopes: []*remote.MessageEnvelope{{MessageData: req}}},
		{TypeNames: []string{typeName(&wire.Request{})}, Targets: []*actor.PID{{Address: "10.9.9.9:1", Id: gatewayName}}, Envelopes: []*remote.MessageEnvelope{{MessageData: req}}},
		{TypeNames: []string{typeName(&wire.Request{})}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: data(&wire.Request{Id: 9, Hub: "other", Lines: []string{"command stop all"}})}}},
		{TypeNames: []string{typeName(&wire.Request{})}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: req, Target: 5}, {MessageData: req, TypeId: 3}, {MessageData: req, Sender: 2}}},
		{TypeNames: []string{typeName(&wire.Request{})}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: req, SerializerId: 1}, {MessageData: req, SerializerId: 7}}},
		{TypeNames: []string{typeName(&wire.Answer{})}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: data(&wire.Answer{Id: 1, Host: "hub"})}}},
		{TypeNames: []string{typeName(&wire.Request{})}, Targets: []*actor.PID{gw}, Envelopes: []*remote.MessageEnvelope{{MessageData: []byte{0xff, 0xff, 0xff}}}},
	}
	for i, b := range batches {
		s, err := testkit.RawFleetStream(t, addr, hubCreds.Client(certs.RoleHost))
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if err := s.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: b}}); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		s.CloseSend()
	}
	conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(credentials.NewTLS(hubCreds.Client(certs.RoleHost))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := remote.NewRemotingClient(conn).ListProcesses(ctx, &remote.ListProcessesRequest{}); err == nil || !strings.Contains(err.Error(), "not served") {
		t.Fatalf("ListProcesses: %v", err)
	}
	// the guard dropped every one of them; the gateway still answers
	for end := time.Now().Add(5 * time.Second); tf.hosts[0].guard.dropped.Load() < 14; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("dropped %d messages, want 14", tf.hosts[0].guard.dropped.Load())
		}
	}
	tf.statusOK("web1")
	for _, a := range tf.locals[0].askedVerbs() {
		if strings.HasPrefix(a, "stop") {
			t.Fatalf("the host ran %q", a)
		}
	}
}

// TestDisallowedVerbRefused: a host refuses what --fleet-allow does not
// name beyond operate (destroy here), and runs it once it does.
func TestDisallowedVerbRefused(t *testing.T) {
	tf := newTestFleet(t, "web1")
	_, out := outcomes(t, tf.ask("command fleet destroy tag old"))
	if o := out["web1"]; o.Kind != messages.FleetError || o.Text != "not authorized" {
		t.Fatalf("destroy: %+v", o)
	}
	if _, out := outcomes(t, tf.ask("command fleet bind web")); out["web1"].Text != "not authorized" {
		t.Fatalf("bind: %+v", out)
	}
	if len(tf.locals[0].askedVerbs()) != 0 {
		t.Fatalf("the host ran %q", tf.locals[0].askedVerbs())
	}
	p, err := ParsePolicy("destroy")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(mustParse(t, "command destroy tag old")); err != nil {
		t.Fatalf("allowed destroy: %v", err)
	}
	for _, l := range []string{"command shutdown", "service x cmd=rm -rf /", "command unbind s"} {
		if err := p.Check(mustParse(t, l)); err == nil {
			t.Fatalf("%q allowed", l)
		}
	}
	if _, err := ParsePolicy("destroy,everything"); err == nil {
		t.Fatal("an unknown --fleet-allow word was taken")
	}
}

func mustParse(t *testing.T, line string) messages.Statement {
	t.Helper()
	st, err := messages.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRoutesNameTheirSender: every message a peer may send has, as field
// 2, the name of the hub or host that sends it (what the guard reads),
// named after its first role (a hub in an inventory answers as a host).
func TestRoutesNameTheirSender(t *testing.T) {
	for name, r := range routes {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := mt.Descriptor().Fields().ByNumber(2)
		if f == nil || string(f.Name()) != r.from[0] || f.Kind() != protoreflect.StringKind {
			t.Errorf("%s: field 2 is %v, want the string %s", name, f, r.from[0])
		}
	}
}

// TestPolicyLooks: a hub holds operate on a host (REFERENCE §12.5): every
// command verb that looks, `upgraded` too, and those that act, run for it
// without --fleet-allow.
func TestPolicyLooks(t *testing.T) {
	var p Policy
	for _, l := range []string{"command status", "command list", "command desc", "command pids", "command inspect",
		"command version", "command sockets", "command proxystatus", "command upgraded",
		"command start all", "command stop all", "command up all", "command down all", "command restart all",
		"command rollingrestart all", "command signal HUP all"} {
		if err := p.Check(mustParse(t, l)); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
}
