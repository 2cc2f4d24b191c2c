package fleet

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"
)

// DefaultTimeout is the deadline of a host's first answer (REFERENCE
// §12.4): a host that has not said it has a request within it is reported
// down.
const DefaultTimeout = 5 * time.Second

// DefaultKeepalive, MinKeepalive and MaxKeepalive are the default and
// bounds of Config.Keepalive, --fleet-keepalive (REFERENCE §12.3): how
// long a connection this member dialled may be silent before it pings
// it. The default is above the 45 s a cfkd before this flag refuses
// pings more often than (its server's enforcement, the old keepalive's
// half), so that a fleet upgraded one host at a time never has its
// connections closed for too many pings; gRPC accepts no less than
// MinKeepalive.
const (
	DefaultKeepalive = 50 * time.Second
	MinKeepalive     = 10 * time.Second
	MaxKeepalive     = time.Hour
)

// The bounds of what one peer can make a member hold (REFERENCE §12.6).
const (
	// maxCallsPerHost bounds the requests a hub has in flight at one
	// host, and a host from one hub.
	maxCallsPerHost = 64
	// maxRefusalsUnacked is the room past maxCallsPerHost for the
	// refusals of a hub that acknowledges its answers (they count until
	// acknowledged too); past it, its requests are dropped unanswered
	maxRefusalsUnacked = 16
	// maxSubsPerHub bounds the event subscriptions a host serves one hub.
	maxSubsPerHub = 16
	// eventsWindow is how many batches of events a host sends ahead of
	// its hub's acknowledgements.
	eventsWindow = 4
	// maxAnswerBytes bounds the lines of one answer.
	maxAnswerBytes = 4 << 20
	// maxRecvBytes bounds one gRPC message: protoactor batches up to
	// writerBatch envelopes in one.
	maxRecvBytes = 5*maxAnswerBytes + 1<<20
	writerBatch  = 4
	// writerQueue is the initial size of protoactor's endpoint writer
	// queue (its default preallocates a million slots, 16 MB a peer). It
	// grows when full: the bounds above are what keep it small.
	writerQueue = 64
	// outboxSize bounds the messages the fleet's actors have handed to the
	// sender goroutine and that it has not sent yet.
	outboxSize = 1024
)

// Local is the member's own cfkd, as the gateway uses it: *actors.Tree.
type Local interface {
	// Ask runs st as an admin connection would and calls answer once
	// with its reply; it never waits.
	Ask(st messages.Statement, answer func(messages.Reply))
	// Subscribe returns a feed of event lines (`command events SEL`).
	Subscribe(sel messages.Selector, b actors.Backlog) *actors.Feed
}

// Config is what cfkd's --fleet-* flags say (REFERENCE §7.1, §12).
type Config struct {
	Listen    string // HOST:PORT, as others reach it (its certificate names HOST)
	CA        string
	Cert      string
	Key       string
	Inventory string        // a hub's: its hosts
	Allow     string        // --fleet-allow
	Timeout   time.Duration // deadline of a host's first answer (DefaultTimeout)
	Keepalive time.Duration // silence before a ping (DefaultKeepalive; MinKeepalive to MaxKeepalive)
	Version   string        // what `fleet hosts` shows of this member
	Log       *logrus.Logger
}

// Node is a member of a fleet: an actor system of its own (the tree's
// actors are not in its registry, so no peer can address them), protoactor
// remote on it with mutual TLS, the gateway, and the hub when it has an
// inventory.
type Node struct {
	cfg     Config
	creds   *certs.Credentials
	policy  Policy
	inv     []Host
	sys     *actor.ActorSystem
	rem     *remote.Remote
	guard   *guard
	out     *outbox
	gateway *actor.PID
	hub     *actor.PID
	handler *Handler
	started atomic.Bool
	stop    sync.Once
}

// New checks the configuration (certificates, inventory, --fleet-allow)
// and builds the member, not listening yet (Serve).
func New(cfg Config) (*Node, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Keepalive == 0 {
		cfg.Keepalive = DefaultKeepalive
	}
	if cfg.Keepalive < MinKeepalive || cfg.Keepalive > MaxKeepalive {
		return nil, fmt.Errorf("--fleet-keepalive %v: want %v to %v", cfg.Keepalive, MinKeepalive, MaxKeepalive)
	}
	if cfg.Log == nil {
		cfg.Log = logrus.StandardLogger()
	}
	if err := checkListen(cfg.Listen); err != nil {
		return nil, err
	}
	if cfg.CA == "" || cfg.Cert == "" || cfg.Key == "" {
		return nil, errors.New("--fleet-listen needs --fleet-ca, --fleet-cert and --fleet-key")
	}
	creds, err := certs.Load(cfg.CA, cfg.Cert, cfg.Key)
	if err != nil {
		return nil, err
	}
	if err := checkOwnCert(creds, cfg); err != nil {
		return nil, err
	}
	policy, err := ParsePolicy(cfg.Allow)
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, creds: creds, policy: policy}
	if cfg.Inventory != "" {
		if creds.ID.Role != certs.RoleHub {
			return nil, fmt.Errorf("--fleet-inventory: this cfkd's certificate is a %s's: a hub needs one of role hub", creds.ID.Role)
		}
		if n.inv, err = ReadInventory(cfg.Inventory); err != nil {
			return nil, err
		}
		if n.inv == nil {
			// a file of no host (comments only, or empty) makes a hub all
			// the same, whose requests say so: one nil inventory made a
			// member that is no hub, `command fleet` answering `this cfkd
			// is not a fleet hub (cfkd --fleet-inventory FILE)`
			n.inv = []Host{}
		}
	}
	n.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(&remoteLog{log: cfg.Log.WithField("category", logCategory), dialFailed: func(addr, err string) {
			if hub := n.hub; hub != nil {
				n.sys.Root.Send(hub, dialFailed{addr: addr, why: dialCause(err)})
			}
		}})
	}))
	actors.ShrinkRegistry(n.sys, registryBuckets)
	n.guard = &guard{log: cfg.Log, hub: n.inv != nil, self: func() string { return n.sys.ProcessRegistry.Address }}
	n.out = newOutbox(n.sys.Root)
	if n.inv != nil {
		n.handler = &Handler{node: n}
	}
	return n, nil
}

// registryBuckets is the size of the fleet's process registry (see
// actors.ShrinkRegistry): it holds a handful of actors.
const registryBuckets = 4

// checkOwnCert refuses a certificate that does not name the host of
// --fleet-listen: the others, dialling that address, would refuse it (or,
// on one machine's address, take this member for the one it names).
func checkOwnCert(creds *certs.Credentials, cfg Config) error {
	host, _, _ := net.SplitHostPort(cfg.Listen)
	if err := creds.Cert.Leaf.VerifyHostname(host); err != nil {
		leaf := creds.Cert.Leaf
		names := append([]string(nil), leaf.DNSNames...)
		for _, ip := range leaf.IPAddresses {
			names = append(names, ip.String())
		}
		return fmt.Errorf("--fleet-cert %s is %s's certificate, for %s: it does not name --fleet-listen's host %s (each member needs its own, naming the address the others reach it at)",
			cfg.Cert, creds.ID.Name, strings.Join(names, ", "), host)
	}
	return nil
}

// checkListen refuses an address others cannot reach this member at.
func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--fleet-listen %q: want HOST:PORT", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--fleet-listen %q: bad port", addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("--fleet-listen %q: want the address the other members reach this cfkd at (its certificate names it), not a wildcard", addr)
	}
	return nil
}

// connected reports whether member name has its connection to this
// member open (guard.connected). This member itself always has: what its
// hub sends its own gateway, and what the gateway answers, goes within
// the process, on no connection (a hub in its own inventory, REFERENCE
// §12.1); it was taken for a hub that left, its requests run and never
// answered.
func (n *Node) connected(name string) bool {
	return name == n.creds.ID.Name || n.guard.connected(name)
}

// Identity is who this member's certificate says it is.
func (n *Node) Identity() certs.Identity { return n.creds.ID }

// Handler is the hub's handler of `command fleet` (nil unless the member
// has an inventory): actors.Options.Fleet.
func (n *Node) Handler() *Handler { return n.handler }

// Hosts is the inventory (a hub's).
func (n *Node) Hosts() []Host { return n.inv }

// Address is where the member listens, once serving.
func (n *Node) Address() string { return n.sys.ProcessRegistry.Address }

// Serve spawns the gateway (and the hub) and starts listening: from then
// on hubs may send requests, which run on local.
func (n *Node) Serve(local Local) (err error) {
	host, portText, _ := net.SplitHostPort(n.cfg.Listen)
	port, _ := strconv.Atoi(portText)
	handshakeLog := &rateLog{} // a flood of them hides no refusal of the guard's
	warnHandshake := func(format string, args ...any) { handshakeLog.warn(n.guard.log, format, args...) }
	opts := []remote.ConfigOption{
		remote.WithServerOptions(
			grpc.Creds(boundHandshakes(credentials.NewTLS(n.creds.Server(n.acceptRoles()...)), warnHandshake)),
			grpc.StreamInterceptor(n.guard.stream),
			grpc.UnaryInterceptor(n.guard.unary),
			grpc.MaxRecvMsgSize(maxRecvBytes),
			grpc.MaxConcurrentStreams(4),
			grpc.ConnectionTimeout(n.cfg.Timeout),
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: minPeerKeepalive, PermitWithoutStream: true}),
		),
		remote.WithDialOptions(
			grpc.WithTransportCredentials(credentials.NewTLS(n.creds.Client(n.dialRoles()...))),
			grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.DefaultConfig, MinConnectTimeout: n.cfg.Timeout}),
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: n.cfg.Keepalive, Timeout: keepaliveTimeout, PermitWithoutStream: true}),
		),
		remote.WithEndpointWriterQueueSize(writerQueue),
		remote.WithEndpointWriterBatchSize(writerBatch),
	}
	if port != 0 {
		opts = append(opts, remote.WithAdvertisedHost(n.cfg.Listen))
	}
	cfg := remote.Configure(host, port, opts...)
	// one connection attempt per endpoint: the deadlines answer for a
	// host that is down, and the next request dials again
	cfg.MaxRetryCount = 1
	n.rem = remote.NewRemote(n.sys, cfg)
	// remote.Start panics when it cannot listen
	if err := n.startRemote(); err != nil {
		return err
	}
	// spawned once remote runs: their PIDs carry the member's address,
	// which is where the peers answer
	gw := &gateway{local: local, policy: n.policy, out: n.out, name: n.creds.ID.Name, version: n.cfg.Version,
		log: n.cfg.Log, calls: map[callKey]*gwCall{}, perHub: map[string]int{}, subs: map[callKey]*gwSub{}, hubs: map[string]*actor.PID{},
		connected: n.connected}
	if n.gateway, err = n.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return gw },
		actor.WithGuardian(resume{})), gatewayName); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	if n.inv != nil {
		h := newHub(n)
		if n.hub, err = n.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return h },
			actor.WithGuardian(resume{})), hubName); err != nil {
			return fmt.Errorf("fleet: %w", err)
		}
	}
	lost := func(ev any) {
		switch t := ev.(type) {
		case *remote.EndpointTerminatedEvent:
			m := endpointLost{addr: t.Address, at: time.Now()}
			n.sys.Root.Send(n.gateway, m)
			if n.hub != nil {
				n.sys.Root.Send(n.hub, m)
			}
		case *remote.EndpointConnectedEvent:
			if n.hub != nil {
				n.sys.Root.Send(n.hub, endpointUp{addr: t.Address})
			}
		}
	}
	n.sys.EventStream.Subscribe(lost)
	go n.out.run()
	n.started.Store(true)
	what := "a member"
	if n.inv != nil {
		what = fmt.Sprintf("the hub of %d hosts", len(n.inv))
	}
	n.cfg.Log.WithField("category", logCategory).Infof("fleet: %s listening on %s as %s (mutual TLS 1.3; hubs may run %s)",
		what, n.Address(), n.creds.ID, n.policy)
	return nil
}

// startRemote starts protoactor remote, which panics when it cannot
// listen.
func (n *Node) startRemote() (err error) {
	startMu.Lock()
	defer startMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fleet: cannot listen on %s: %v", n.cfg.Listen, r)
		}
	}()
	n.rem.Start()
	return nil
}

// startMu serialises remote.Start, which sets gRPC's logger, process-wide
// and without a lock (tests start several members in one process; cfkd
// one).
var startMu sync.Mutex

// Config.Keepalive (--fleet-keepalive) is how long a connection may be
// silent before it is pinged (gRPC keepalive, by its dialling side only;
// every member dials the peers it sends to, so each side pings its own
// connection): a peer that stops answering without closing its
// connection (its cfkd stopped by SIGSTOP, its VM paused, its kernel
// hung: its TCP stack may still acknowledge) is taken for lost, its
// connection closed and its host `down`, `connection to ADDR lost`,
// within Keepalive plus keepaliveTimeout of the last thing it sent
// (REFERENCE §12.3): 60 s by default, 20 s at the least. At a fixed 90 s
// (and the 5 s of Config.Timeout) that was 95 s, during which requests
// to it were `down` at their deadline but the host's events stream
// stayed silent and up.

// minPeerKeepalive is how often this member's server lets a peer ping
// (its enforcement's MinTime, with or without a stream): under
// MinKeepalive, so that a member with any --fleet-keepalive is never
// refused by it. A cfkd before --fleet-keepalive let pings come every
// 45 s only, and closes (GOAWAY too_many_pings) the connection of one
// pinging more often: with such members, --fleet-keepalive stays at 50 s
// or more (REFERENCE §12.3).
const minPeerKeepalive = 5 * time.Second

// keepaliveTimeout is how long a ping's acknowledgement may take. gRPC's
// transport answers it, not the cfkd's actors: a cfkd busy or working on
// a long request acknowledges at once; 10 s leaves room for a machine
// under heavy load, and does not follow --fleet-timeout (as short as
// 100 ms), a request's deadline, not a peer's.
const keepaliveTimeout = 10 * time.Second

// acceptRoles are the roles that may connect: hubs to every member's
// gateway, hosts to a hub (answers, events).
func (n *Node) acceptRoles() []string {
	if n.inv != nil {
		return []string{certs.RoleHub, certs.RoleHost}
	}
	return []string{certs.RoleHub}
}

// dialRoles are the roles this member dials: a hub dials its hosts (and
// members of role hub in its inventory, whose gateways take requests
// too); a member dials back the hubs that sent it requests.
func (n *Node) dialRoles() []string {
	if n.inv != nil {
		return []string{certs.RoleHost, certs.RoleHub}
	}
	return []string{certs.RoleHub}
}

// Stop stops serving: the subscriptions end, remote is shut down, the
// actor system stopped.
func (n *Node) Stop() {
	n.stop.Do(func() {
		if !n.started.Load() {
			return
		}
		n.started.Store(false)
		n.out.close()
		if n.gateway != nil {
			n.sys.Root.StopFuture(n.gateway).Wait()
		}
		if n.hub != nil {
			n.sys.Root.StopFuture(n.hub).Wait()
		}
		n.rem.Shutdown(false)
		n.sys.Shutdown()
	})
}

// resume keeps an actor of the fleet and its state when it panics: a
// message that made it panic is lost, nothing else (the panic is logged by
// protoactor).
type resume struct{}

func (resume) HandleFailure(_ *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, _ any, _ any) {
	sup.ResumeChildren(child)
}

// endpointLost: protoactor remote lost its connection to addr (or could
// not make it), at at.
type endpointLost struct {
	addr string
	at   time.Time
}

// dialFailed: protoactor remote could not connect to addr; why is the
// cause a hub adds to its `cannot connect to ADDR` ("" when it adds none).
type dialFailed struct{ addr, why string }

// endpointUp: protoactor remote made its connection to addr (a hub tells
// a connection lost from one never made by it).
type endpointUp struct{ addr string }

// outbox sends the messages of the fleet's actors to their peers from a
// goroutine of its own: a send to an address protoactor has no
// connection for waits on its endpoint supervisor (a future), which an
// actor must not do. A full outbox refuses the message at once.
type outbox struct {
	root *actor.RootContext
	ch   chan outMsg
	once sync.Once
	done chan struct{}
}

type outMsg struct {
	to, from *actor.PID
	msg      proto.Message
	sent     *atomic.Int64 // set to the time of the send, if not nil
}

func newOutbox(root *actor.RootContext) *outbox {
	return &outbox{root: root, ch: make(chan outMsg, outboxSize), done: make(chan struct{})}
}

// post queues msg for to, from from; false when the outbox is full or
// closed.
func (o *outbox) post(m outMsg) bool {
	select {
	case <-o.done:
		return false
	default:
	}
	select {
	case o.ch <- m:
		return true
	default:
		return false
	}
}

func (o *outbox) run() {
	for {
		select {
		case <-o.done:
			return
		case m := <-o.ch:
			o.root.Send(m.to, &actor.MessageEnvelope{Message: m.msg, Sender: m.from})
			if m.sent != nil {
				m.sent.Store(time.Now().UnixNano())
			}
		}
	}
}

func (o *outbox) close() { o.once.Do(func() { close(o.done) }) }
