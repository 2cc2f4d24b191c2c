package fleet

import (
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The names of the two actors a peer may address (REFERENCE §12.6).
const (
	gatewayName = "gateway" // every member's: requests from hubs
	hubName     = "hub"     // a hub's: answers from hosts
)

// route is what may come in over the fleet: each message type, who may
// send it, and to which actor. Its field 2 must name the sender.
type route struct {
	from   []string // the sender's roles
	target string   // the only actor it may go to
}

// routes are the message types a peer may send; anything else is dropped
// before protoactor reads it (the unknown type names it cannot read, the
// system messages such as PoisonPill and Stop that would stop an actor).
// A member of role hub in a hub's inventory answers as a host does (its
// gateway takes requests too): the answers may come from either role.
var routes = map[string]route{
	typeName(&wire.Request{}):     {hubs, gatewayName},
	typeName(&wire.Subscribe{}):   {hubs, gatewayName},
	typeName(&wire.Unsubscribe{}): {hubs, gatewayName},
	typeName(&wire.EventsAck{}):   {hubs, gatewayName},
	typeName(&wire.AnswerAck{}):   {hubs, gatewayName},
	typeName(&wire.LeavingAck{}):  {hubs, gatewayName},
	typeName(&wire.Leaving{}):     {members, hubName},
	typeName(&wire.Back{}):        {members, hubName},
	typeName(&wire.Accepted{}):    {members, hubName},
	typeName(&wire.Answer{}):      {members, hubName},
	typeName(&wire.Events{}):      {members, hubName},
}

var (
	hubs    = []string{certs.RoleHub}
	members = []string{certs.RoleHost, certs.RoleHub}
)

func typeName(m proto.Message) string { return string(proto.MessageName(m)) }

// receiveMethod is protoactor remote's one stream: every other method
// (its unary ListProcesses and GetProcessDiagnostics panic with "implement
// me") is refused.
const receiveMethod = "/remote.Remoting/Receive"

// guard is the gRPC server's gatekeeper: it refuses every method but the
// message stream, recovers from a panic of protoactor's handler, and
// filters every envelope a peer sends (filter).
type guard struct {
	log      *logrus.Logger
	hub      bool          // this member is a hub: hosts' answers may come in
	self     func() string // this member's actor address (set once remote started)
	dropped  atomic.Int64
	refusals rateLog // of peers' messages (warn)
	// streams counts each peer's open streams by its name: a hub that has
	// none here has left (or restarted), and a host does not dial it only
	// to say what it no longer waits for (connected)
	streamsMu sync.Mutex
	streams   map[string]int
}

// connected reports whether peer name has a stream open to this member.
func (g *guard) connected(name string) bool {
	g.streamsMu.Lock()
	defer g.streamsMu.Unlock()
	return g.streams[name] > 0
}

// opened counts a stream of peer name until the returned func is called.
func (g *guard) opened(name string) func() {
	g.streamsMu.Lock()
	defer g.streamsMu.Unlock()
	if g.streams == nil {
		g.streams = map[string]int{}
	}
	g.streams[name]++
	return func() {
		g.streamsMu.Lock()
		defer g.streamsMu.Unlock()
		if g.streams[name]--; g.streams[name] <= 0 {
			delete(g.streams, name)
		}
	}
}

func (g *guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	g.warn("refused the call %s from %s", info.FullMethod, peerName(ctx))
	return nil, status.Error(codes.Unimplemented, "not served")
}

func (g *guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	if info.FullMethod != receiveMethod {
		g.warn("refused the stream %s from %s", info.FullMethod, peerName(ss.Context()))
		return status.Error(codes.Unimplemented, "not served")
	}
	id, addrs, err := identityOf(ss.Context())
	if err != nil {
		g.warn("refused a stream from %s: %v", peerName(ss.Context()), err)
		return status.Error(codes.PermissionDenied, "not authorized")
	}
	if id.Role == certs.RoleHost && !g.hub {
		g.warn("refused a stream from %s: a host talks to hubs only", id)
		return status.Error(codes.PermissionDenied, "not authorized")
	}
	defer g.opened(id.Name)()
	defer func() {
		if r := recover(); r != nil {
			g.log.WithField("category", "fleet").Errorf("fleet: a message from %s made protoactor panic (connection closed): %v\n%s", id, r, debug.Stack())
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	return handler(srv, &filtered{ServerStream: ss, g: g, peer: id, addrs: addrs})
}

// identityOf is the verified identity of a stream's peer.
// identityOf is the identity of a stream's verified peer certificate, and
// the addresses it names (its IP addresses and DNS names).
func identityOf(ctx context.Context) (certs.Identity, certAddrs, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return certs.Identity{}, certAddrs{}, fmt.Errorf("no peer")
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return certs.Identity{}, certAddrs{}, fmt.Errorf("not TLS")
	}
	id, err := certs.PeerIdentity(ti.State)
	if err != nil {
		return id, certAddrs{}, err
	}
	leaf := ti.State.VerifiedChains[0][0]
	return id, certAddrs{ips: leaf.IPAddresses, names: leaf.DNSNames}, nil
}

// certAddrs are the addresses a peer's certificate names.
type certAddrs struct {
	ips   []net.IP
	names []string
}

// has reports whether the host of address (HOST:PORT) is one of them.
func (a certAddrs) has(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return slices.ContainsFunc(a.ips, ip.Equal)
	}
	return slices.ContainsFunc(a.names, func(n string) bool { return strings.EqualFold(n, host) })
}

func peerName(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return "an unknown peer"
}

// warn logs what the guard refused, at most one line a second (the next
// says how many more there were).
func (g *guard) warn(format string, args ...any) { g.refusals.warn(g.log, format, args...) }

// rateLog logs refusals of one kind, at most one line a second (the next
// says how many more there were): the TLS handshakes a listener refused
// have one of their own (Node.Serve), so that a flood of them hides no
// refusal of a peer's message.
type rateLog struct {
	mu     sync.Mutex
	last   time.Time
	unsaid int
}

func (r *rateLog) warn(log *logrus.Logger, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.last) < time.Second {
		r.unsaid++
		return
	}
	if r.unsaid > 0 {
		format += fmt.Sprintf(" (and %d more refused since the last line)", r.unsaid)
	}
	r.last, r.unsaid = time.Now(), 0
	log.WithField("category", "fleet").Warnf("fleet: "+format, args...)
}

// filtered is a peer's stream, each message read filtered.
type filtered struct {
	grpc.ServerStream
	g     *guard
	peer  certs.Identity
	addrs certAddrs // what peer's certificate names
}

func (f *filtered) RecvMsg(m any) error {
	if err := f.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if rm, ok := m.(*remote.RemoteMessage); ok {
		f.g.filter(rm, f.peer, f.addrs)
	}
	return nil
}

// filter keeps, of a message batch, the envelopes that protoactor can read
// without harm and that the peer may send: the serializer protoactor uses
// (proto), indexes within the batch's tables, a type of routes sent by a
// peer of its role to its one target, whose identity field names the peer
// (a host cannot answer for another, a hub cannot speak for another).
// Anything but a batch or protoactor's connect request is emptied.
func (g *guard) filter(rm *remote.RemoteMessage, from certs.Identity, addrs certAddrs) {
	switch t := rm.MessageType.(type) {
	case *remote.RemoteMessage_ConnectRequest:
		return
	case *remote.RemoteMessage_MessageBatch:
		b := t.MessageBatch
		kept := b.Envelopes[:0]
		for _, e := range b.Envelopes {
			if why := g.check(b, e, from, addrs); why != "" {
				g.dropped.Add(1)
				g.warn("dropped a message from %s: %s", from, why)
				continue
			}
			kept = append(kept, e)
		}
		clear(b.Envelopes[len(kept):])
		b.Envelopes = kept
	default:
		rm.MessageType = nil
	}
}

func (g *guard) check(b *remote.MessageBatch, e *remote.MessageEnvelope, from certs.Identity, addrs certAddrs) string {
	if e == nil {
		return "an empty envelope"
	}
	if e.SerializerId != 0 {
		return fmt.Sprintf("serializer %d", e.SerializerId)
	}
	if e.TypeId < 0 || int(e.TypeId) >= len(b.TypeNames) || e.Target < 0 || int(e.Target) >= len(b.Targets) ||
		e.Sender < 0 || int(e.Sender) > len(b.Senders) || b.Targets[e.Target] == nil || e.Sender > 0 && b.Senders[e.Sender-1] == nil {
		return "an index out of the batch's tables"
	}
	name := b.TypeNames[e.TypeId]
	r, ok := routes[name]
	if !ok {
		return fmt.Sprintf("type %q is not a fleet message", protoreflect.FullName(name))
	}
	if !slices.Contains(r.from, from.Role) || r.target == hubName && !g.hub {
		return fmt.Sprintf("a %s may not send %s here", from.Role, name)
	}
	if t := b.Targets[e.Target]; t.Id != r.target || t.Address != g.self() {
		return fmt.Sprintf("%s to %s/%s (only %s/%s takes it)", name, t.Address, t.Id, g.self(), r.target)
	}
	who, err := senderName(e.MessageData)
	if err != nil {
		return fmt.Sprintf("%s does not decode: %v", name, err)
	}
	if who != from.Name {
		return fmt.Sprintf("%s says it is from %q", name, who)
	}
	// a host answers a hub at the hub's sender address: it must be one
	// the hub's certificate names, or a hub could have a host answer
	// another hub, or dial any member (REFERENCE §12.6)
	if from.Role == certs.RoleHub && e.Sender > 0 && !addrs.has(b.Senders[e.Sender-1].Address) {
		return fmt.Sprintf("%s asks for its answers at %s, an address its certificate does not name", name, b.Senders[e.Sender-1].Address)
	}
	return ""
}

// senderName reads field 2 of a fleet message, the name of the hub or
// host that sends it (every message of wire/fleet.proto has it there),
// checking the wire format on the way: the message is not decoded twice
// (protoactor decodes it next, and drops the stream if that fails).
func senderName(b []byte) (string, error) {
	var who string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		b = b[n:]
		if num == 2 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", protowire.ParseError(n)
			}
			who, b = string(v), b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		b = b[n:]
	}
	return who, nil
}
