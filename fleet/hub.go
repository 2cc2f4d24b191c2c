package fleet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"google.golang.org/protobuf/proto"
)

// Handler takes a hub's `command fleet` requests from its admin
// connections (actors.FleetHandler): it checks the hosts they name
// against the inventory and hands them to the hub actor, without waiting.
type Handler struct {
	node    *Node
	streams atomic.Uint64
	open    atomic.Int32 // fleet event streams open (takeStream)
	// moreStreams raises maxHubStreams (a test that makes a host refuse
	// a subscription, as it may when a closed stream's is not ended yet)
	moreStreams int32
}

// The fleet event streams a hub serves at once (REFERENCE §12.6): each
// holds a subscription at each host it names, and a host serves a hub
// maxSubsPerHub; past them, each host refused the next one's, and the
// stream showed every host down. adminHubStreams of them are kept for
// peers that hold admin: one that may only read opened 16 and held
// every other's, an admin's too.
const (
	maxHubStreams   = maxSubsPerHub
	adminHubStreams = 4
)

// takeStream takes a place for a stream, if one is left for a peer that
// holds admin or not; the stream's detach gives it back.
func (h *Handler) takeStream(admin bool) bool {
	limit := int32(maxHubStreams-adminHubStreams) + h.moreStreams
	if admin {
		limit = maxHubStreams + h.moreStreams
	}
	for {
		n := h.open.Load()
		if n >= limit {
			return false
		}
		if h.open.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

var _ actors.FleetHandler = (*Handler)(nil)

var errNotServing = errors.New("the fleet is not serving (cfkd is starting or stopping)")

// Request implements actors.FleetHandler.
func (h *Handler) Request(f messages.Fleet, answer func(messages.Reply)) {
	if !h.node.started.Load() {
		answer(messages.ErrorReply(errNotServing))
		return
	}
	hosts, err := selectHosts(h.node.inv, f.Hosts)
	if err != nil {
		answer(messages.ErrorReply(err))
		return
	}
	h.node.sys.Root.Send(h.node.hub, hubRequest{f: f, hosts: hosts, answer: answer})
}

// Stream implements actors.FleetHandler: `command fleet events`.
func (h *Handler) Stream(f messages.Fleet, admin bool, b actors.Backlog, onCut func()) (*actors.Feed, error) {
	if !h.node.started.Load() {
		return nil, errNotServing
	}
	hosts, err := selectHosts(h.node.inv, f.Hosts)
	if err != nil {
		return nil, err
	}
	if !h.takeStream(admin) {
		return nil, fmt.Errorf("too many fleet event streams open on this hub (at most %d, the last %d of them for admin)", maxHubStreams, adminHubStreams)
	}
	id := h.streams.Add(1)
	root, hub := h.node.sys.Root, h.node.hub
	feed := actors.NewFeed(b, onCut, func() {
		h.open.Add(-1)
		root.Send(hub, streamClosed{id: id})
	})
	root.Send(hub, streamOpen{id: id, hosts: hosts, line: f.Lines[0], feed: feed})
	return feed, nil
}

type (
	// hubRequest is an admin connection's request to the hosts.
	hubRequest struct {
		f      messages.Fleet
		hosts  []int
		answer func(messages.Reply)
	}
	// callTimedOut: the deadline of call id passed.
	callTimedOut struct{ id uint32 }
	// streamOpen: an admin connection became the stream of feed.
	streamOpen struct {
		id    uint64
		hosts []int
		line  string
		feed  *actors.Feed
	}
	// streamClosed: its reader is done with the stream's feed.
	streamClosed struct{ id uint64 }
	// resubscribe: try a host of a stream again.
	resubscribe struct{ sub *hubSub }
	// unsubscribeIfConnected: end subscription id at host if the host
	// still has its connection to the hub (failGone).
	unsubscribeIfConnected struct {
		host int
		id   uint32
	}
)

// hubCall is one message to a host that waits for its answer: a
// request's, or a subscription's.
type hubCall struct {
	id       uint32
	host     int
	op       *op     // a request's
	oneEach  bool    // it sent op.f.OneEach, a line per selector
	sub      *hubSub // or a subscription's
	start    time.Time
	acked    bool
	deadline time.Time
	sent     atomic.Int64 // when the outbox sent it (unix ns)
	timer    *time.Timer
}

// op is an admin request being answered: each selected host's outcome,
// and for a rolling one, the host it is at.
type op struct {
	start  time.Time // when the hub took it
	f      messages.Fleet
	lines  []string
	hosts  []int
	res    map[int]*result
	left   int
	next   int // rolling: the index in hosts of the next host
	answer func(messages.Reply)
}

// result is a host's outcome.
type result struct {
	kind  messages.FleetLineKind
	lines []string
	text  string
	rtt   time.Duration
}

// hubSub is one host's part of a stream.
type hubSub struct {
	st    *hubStream
	host  int
	call  *hubCall // the subscription, while it is asked or active
	down  bool     // reported down (an event of kind host said so)
	retry *time.Timer
}

type hubStream struct {
	id   uint64
	line string
	feed *actors.Feed
	subs []*hubSub
}

// hub is a hub's actor (REFERENCE §12.4): it sends each request to the
// selected hosts' gateways (all at once, or one host at a time), and
// gathers their answers into one reply, a host that does not answer in
// time being an answer too; it merges the hosts' event streams. Every
// message to a host has a deadline: its Accepted (or, for a
// subscription, its first Events) within Config.Timeout, its Answer
// within requestBound of the request. A host whose connection
// protoactor loses, or that it cannot reach (a dead letter), fails what
// it had at once. The next request dials the host again: a host that
// comes back is used again.
type hub struct {
	n       *Node
	inv     []Host
	name    string
	timeout time.Duration
	self    *actor.PID
	root    *actor.RootContext
	nextID  uint32 // from a random start: a restarted hub's ids are not its last run's
	calls   map[uint32]*hubCall
	perHost []int
	streams map[uint64]*hubStream
	// up holds the addresses protoactor has a connection to: a loss of
	// the endpoint of one it has not is a dial that failed
	up map[string]bool
	// dialErr: by address, the cause of the last dial that failed (TLS),
	// which `cannot connect to ADDR` names; cleared once connected
	dialErr map[string]string
	// acks are the answers to acknowledge, per host (wire.AnswerAck):
	// sent at once, kept only while the outbox is full, and then sent
	// with the next ones or before the next request to the host. acked
	// are the last ones sent, sent again when a connection to the host is
	// made: those sent on a connection that was lost may not have come
	acks, acked map[int][]uint32
	byName      map[string]int // a host's index by name
	// lastMismatch: when callOf last logged an answer from a member that
	// is not the one the inventory names (once a second at most)
	lastMismatch time.Time
	// answersAs: the name a host's member last answered as, of a host
	// whose member's certificate names another (the inventory is
	// wrong): its calls that end `no answer` say so
	answersAs map[int]string
	// leaving: by address, why a host said its cfkd goes (wire.Leaving),
	// said when its connection goes, until a new one is made
	leaving map[string]string
	// back: the addresses of hosts whose new cfkd said it is back
	// (wire.Back) while the hub still held its former cfkd's connection,
	// the loss of which protoactor had not said yet: what the hub sent
	// there meanwhile is lost with it, and its streams subscribe again at
	// once when it is said
	back map[string]bool
	// connected reports whether a member has its connection to the hub
	// open (guard.connected; nil: always)
	connected func(name string) bool
	// requestBound: how long after it took a request the hub answers it
	// at the latest (requestBound)
	requestBound time.Duration
}

// requestBound is how long after the hub took a request it answers it at
// the latest, each host that has not answered by then being down: a
// little less than the bound of the admin connection's request
// (actors.RequestTimeout), past which the connection answers `no answer
// after 10m0s` itself, and closes, every host's outcome lost. (The hub
// gave each host that long from its acceptance of the request: a host of
// a rolling request, asked minutes after the start, had its deadline
// after the connection's, and for the others the two deadlines were
// milliseconds apart, a race.) A variable: tests shorten it.
var requestBound = actors.RequestTimeout - time.Second

// hubNow is the clock a rolling request reads before it asks its next
// host (outcome). A variable: tests move it on.
var hubNow = time.Now

func newHub(n *Node) *hub {
	// a host keys the calls in flight by hub name and id: a hub restarted
	// while its last run's calls still run there (a rolling restart takes
	// minutes) must not number its own as they are
	return &hub{n: n, inv: n.inv, name: n.creds.ID.Name, timeout: n.cfg.Timeout, nextID: rand.Uint32(),
		calls: map[uint32]*hubCall{}, perHost: make([]int, len(n.inv)), streams: map[uint64]*hubStream{}, up: map[string]bool{}, dialErr: map[string]string{},
		acks: map[int][]uint32{}, acked: map[int][]uint32{}, answersAs: map[int]string{}, leaving: map[string]string{}, back: map[string]bool{}, byName: hostIndex(n.inv), connected: n.connected,
		requestBound: requestBound}
}

// hostIndex is each host's index in inv by name.
func hostIndex(inv []Host) map[string]int {
	m := make(map[string]int, len(inv))
	for i, h := range inv {
		m[h.Name] = i
	}
	return m
}

// ack acknowledges answer id of host (it asked: wants_ack), also one of a
// call that is no more here (it timed out, its connection was lost and
// came back): the host counts it in flight until then.
func (h *hub) ack(host int, id uint32) {
	h.acks[host] = lastIds(append(h.acks[host], id))
	h.flushAcks(host)
}

// lastIds bounds a list of acknowledgements kept for a host: it has at
// most maxCallsPerHost (and a few refusals) unacknowledged; more is a
// host that sends answers to nothing.
func lastIds(ids []uint32) []uint32 {
	if len(ids) > maxAcksPending {
		ids = append(ids[:0:0], ids[len(ids)-maxAcksPending:]...)
	}
	return ids
}

// maxAcksPending bounds the acknowledgements kept for a host.
const maxAcksPending = 2 * maxCallsPerHost

// flushAcks sends the acknowledgements due to host; those the full outbox
// refused wait for the next ack or request to it.
func (h *hub) flushAcks(host int) {
	ids := h.acks[host]
	if len(ids) == 0 {
		return
	}
	if h.post(host, &wire.AnswerAck{Ids: ids, Hub: h.name}) {
		delete(h.acks, host)
		h.acked[host] = lastIds(append(h.acked[host], ids...))
	}
}

func (h *hub) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		h.self, h.root = ctx.Self(), ctx.ActorSystem().Root
	case hubRequest:
		h.request(m)
	case endRequests:
		h.endRequests(m.why)
	case *wire.Accepted:
		h.accepted(m)
	case *wire.Answer:
		if i, ok := h.byName[m.Host]; ok && m.WantsAck {
			h.ack(i, m.Id)
		}
		if c := h.callOf(m.Id, m.Host); c != nil && c.op != nil {
			h.answered(c, m)
		}
	case *wire.Leaving:
		h.hostLeaving(m)
	case *wire.Back:
		h.hostBack(m)
	case *wire.Events:
		if c := h.callOf(m.Id, m.Host); c != nil && c.sub != nil {
			h.events(c, m)
		} else if i, ok := h.byName[m.Host]; ok && !m.Ended && h.calls[m.Id] == nil {
			// a subscription the hub let go (its stream closed, or it
			// gave up waiting): the host is told to end it
			h.unsubscribe(i, m.Id)
		}
	case callTimedOut:
		c := h.calls[m.id]
		if c == nil || time.Now().Before(c.deadline) {
			return // answered, or a timer re-armed since
		}
		why := fmt.Sprintf("no answer within %v", h.timeout)
		if c.acked || c.op != nil && !time.Now().Before(c.op.start.Add(h.requestBound)) {
			why = fmt.Sprintf("no answer within %v of the request", h.requestBound)
		}
		if as, ok := h.answersAs[c.host]; ok {
			// it did answer, as another: said where the reply is read,
			// not only in the hub's log (REFERENCE §12.1)
			why += fmt.Sprintf(": %s answers as %s (its certificate), not %s, and may have run the request; fix the inventory", h.inv[c.host].Addr, as, h.inv[c.host].Name)
		}
		if left := h.leaving[h.inv[c.host].Addr]; left != "" {
			why += " (" + left + ")" // what it said as it went
		}
		h.fail(c, why)
	case *actor.DeadLetterResponse:
		// protoactor could not deliver a message: its target carries the
		// call's id (a request's or a subscription's)
		if t := m.Target; t != nil {
			if c := h.calls[t.RequestId]; c != nil && !c.acked && h.inv[c.host].Addr == t.Address {
				h.failGone(c, h.cannotConnect(t.Address))
			}
		}
	case dialFailed:
		h.dialErr[m.addr] = m.why
	case endpointUp:
		h.up[m.addr] = true
		delete(h.dialErr, m.addr)
		delete(h.leaving, m.addr)
		delete(h.back, m.addr)
		for i, host := range h.inv {
			if host.Addr == m.addr && len(h.acked[i]) > 0 {
				// what was sent on a connection lost since may not have
				// come: sent again (an id the host no longer holds is
				// nothing to it)
				h.acks[i] = lastIds(append(h.acked[i], h.acks[i]...))
				h.acked[i] = nil
				h.flushAcks(i)
			}
		}
	case endpointLost:
		why := "connection to " + m.addr + " lost"
		if !h.up[m.addr] {
			why = h.cannotConnect(m.addr)
		} else if left := h.leaving[m.addr]; left != "" {
			why = left // it said it goes: not a connection lost
		}
		delete(h.up, m.addr)
		back := h.back[m.addr]
		if back {
			// the former cfkd's connection, lost after its successor said
			// it is back: its loss is said as why it went, and is the last
			delete(h.back, m.addr)
			delete(h.leaving, m.addr)
		}
		for _, c := range h.calls {
			if h.inv[c.host].Addr != m.addr {
				continue
			}
			// an accepted call went over the connection that was lost; one
			// not accepted yet, sent before the loss, too
			if sent := c.sent.Load(); c.acked || sent != 0 && sent <= m.at.UnixNano() {
				h.failGone(c, why)
			}
		}
		if back {
			h.resubscribeAt(m.addr)
		}
	case streamOpen:
		h.openStream(m)
	case streamClosed:
		h.closeStream(m.id)
	case unsubscribeIfConnected:
		if h.hostConnected(m.host) {
			h.unsubscribe(m.host, m.id)
		}
	case resubscribe:
		if _, ok := h.streams[m.sub.st.id]; ok && m.sub.call == nil {
			h.subscribe(m.sub)
		}
	case *actor.Stopping:
		for id := range h.streams {
			h.streams[id].feed.End()
			h.closeStream(id)
		}
		for _, c := range h.calls {
			h.fail(c, "the hub is stopping")
		}
	}
}

// callOf is call id, if it is one of host's.
func (h *hub) callOf(id uint32, host string) *hubCall {
	c := h.calls[id]
	if c == nil {
		return nil
	}
	if want := h.inv[c.host]; want.Name != host {
		// not taken: a member answers as the one its certificate names.
		// Said, for the call then ends `no answer`, although the member
		// at that address may well have run it (REFERENCE §12.4)
		if now := time.Now(); now.Sub(h.lastMismatch) >= time.Second {
			h.lastMismatch = now
			h.n.cfg.Log.WithField("category", logCategory).Warnf("fleet: %s, which the inventory names %s, answers as %s (its certificate): its answers are not taken; fix the inventory", want.Addr, want.Name, host)
		}
		h.answersAs[c.host] = host
		return nil
	}
	delete(h.answersAs, c.host)
	return c
}

// send sends msg to host's gateway as call c (its id set by the caller),
// its deadline armed; false (c failed, with why) when the host has too
// many calls in flight or the outbox is full.
func (h *hub) send(c *hubCall, msg proto.Message) bool {
	if h.perHost[c.host] >= maxCallsPerHost {
		h.settle(c, fmt.Sprintf("too many requests in flight at %s (at most %d)", h.inv[c.host].Name, maxCallsPerHost))
		return false
	}
	h.flushAcks(c.host) // before the request: the host may need the room
	h.calls[c.id] = c
	h.perHost[c.host]++
	c.start = time.Now()
	// a request's first answer within the deadline, and within its
	// bound too: a host of a rolling request asked late, or a deadline
	// (--fleet-timeout) longer than the bound, had it after the admin
	// connection's own, which answered `no answer after 10m0s` and
	// closed, every host's outcome lost
	d := h.timeout
	if c.op != nil {
		d = min(d, time.Until(c.op.start.Add(h.requestBound)))
	}
	h.arm(c, d)
	to := &actor.PID{Address: h.inv[c.host].Addr, Id: gatewayName, RequestId: c.id}
	if !h.n.out.post(outMsg{to: to, from: h.self, msg: msg, sent: &c.sent}) {
		h.fail(c, "the hub's outbox is full")
		return false
	}
	return true
}

// newCall allocates a call id (never 0: protoactor's "no request id").
func (h *hub) newCall(host int) *hubCall {
	for {
		h.nextID++
		if h.nextID != 0 && h.calls[h.nextID] == nil {
			return &hubCall{id: h.nextID, host: host}
		}
	}
}

func (h *hub) arm(c *hubCall, d time.Duration) {
	c.deadline = time.Now().Add(d)
	if c.timer != nil {
		c.timer.Reset(d)
		return
	}
	root, self, id := h.root, h.self, c.id
	c.timer = time.AfterFunc(d, func() { root.Send(self, callTimedOut{id: id}) })
}

// forget removes call c.
func (h *hub) forget(c *hubCall) {
	if h.calls[c.id] != c {
		return
	}
	delete(h.calls, c.id)
	h.perHost[c.host]--
	if c.timer != nil {
		c.timer.Stop()
	}
}

// fail ends call c without an answer: its host is down for it.
func (h *hub) fail(c *hubCall, why string) {
	if h.calls[c.id] != c {
		return
	}
	h.forget(c)
	if c.sub != nil {
		// a host that was only slow (stopped, swapping) reads the
		// Subscribe later and serves it: it is told to end it, or it
		// holds one of the hub's 16 streams for good
		h.unsubscribe(c.host, c.id)
	}
	h.settle(c, why)
}

// failGone is fail for a call whose connection to its host was lost, or
// never made: a subscription is told to end only if the host still has
// its own connection to the hub a moment later (a host only stalled). A
// host that left (died, restarted, upgraded in place) has no stream to
// end, and dialling it then, while nothing listens at its address, made
// protoactor's endpoint writer sleep 2 s and dead-letter what went there
// meanwhile: the hub's next requests to the host, back within
// milliseconds after an upgrade in place, were answered `cannot connect`.
func (h *hub) failGone(c *hubCall, why string) {
	if h.calls[c.id] != c {
		return
	}
	h.forget(c)
	if c.sub != nil {
		root, self, m := h.root, h.self, unsubscribeIfConnected{host: c.host, id: c.id}
		time.AfterFunc(hubGoneWait, func() { root.Send(self, m) })
	}
	h.settle(c, why)
}

// accepted arms the deadline of the call a host accepted: its answer
// within requestBound of the request. A subscription is never accepted
// (its first Events says it runs): one said so by a host that misbehaves
// has no request (op), and keeps the bound it had before.
func (h *hub) accepted(m *wire.Accepted) {
	c := h.callOf(m.Id, m.Host)
	if c == nil || c.acked {
		return
	}
	c.acked = true
	bound := actors.RequestTimeout
	if c.op != nil {
		bound = time.Until(c.op.start.Add(h.requestBound))
	}
	h.arm(c, bound)
}

// hostConnected reports whether host has its connection to the hub open
// (guard.connected; nil: always).
func (h *hub) hostConnected(host int) bool {
	return h.connected == nil || h.connected(h.inv[host].Name)
}

// unsubscribe tells host to end subscription id of this hub.
func (h *hub) unsubscribe(host int, id uint32) {
	h.post(host, &wire.Unsubscribe{Id: id, Hub: h.name})
}

// post queues msg for host's gateway; false when the outbox is full.
func (h *hub) post(host int, msg proto.Message) bool {
	to := &actor.PID{Address: h.inv[host].Addr, Id: gatewayName}
	return h.n.out.post(outMsg{to: to, from: h.self, msg: msg})
}

// settle reports a call that failed to its request or its stream.
func (h *hub) settle(c *hubCall, why string) {
	switch {
	case c.op != nil:
		h.outcome(c.op, c.host, &result{kind: messages.FleetDown, text: why})
	case c.sub != nil:
		h.subFailed(c.sub, why)
	}
}

// answered ends call c, a request's, with its host's answer m. A host
// that refuses the selectors of one line together (an older cfkd, which
// answers the original's selector error) is asked again, with a line per
// selector (REFERENCE §12.3).
func (h *hub) answered(c *hubCall, m *wire.Answer) {
	if m.Error != "" && !c.oneEach && c.op.f.OneEach != nil && messages.IsOneSelectorError(m.Error) {
		h.forget(c)
		h.sendOp(c.op, c.host, true)
		return
	}
	r := &result{kind: messages.FleetOK, lines: m.Lines, rtt: time.Since(c.start)}
	if m.Error != "" {
		r.kind, r.text, r.lines = messages.FleetError, m.Error, nil
	}
	h.done(c, r)
}

// done ends call c with r.
func (h *hub) done(c *hubCall, r *result) {
	h.forget(c)
	h.outcome(c.op, c.host, r)
}

func (h *hub) request(m hubRequest) {
	o := &op{start: time.Now(), f: m.f, lines: m.f.Lines, hosts: m.hosts, res: map[int]*result{}, left: len(m.hosts), answer: m.answer}
	if m.f.Verb == messages.VerbFleetHosts {
		o.lines = []string{"command version"}
	}
	if m.f.Rolling {
		o.next = 1 // before the send, which may fail at once (outcome reads it)
		h.sendOp(o, o.hosts[0], false)
		return
	}
	for _, i := range o.hosts {
		if o.left == 0 {
			return
		}
		h.sendOp(o, i, false)
	}
}

// sendOp sends request o to host: its lines, or with oneEach its lines
// one per selector (Fleet.OneEach).
func (h *hub) sendOp(o *op, host int, oneEach bool) {
	c := h.newCall(host)
	c.op, c.oneEach = o, oneEach
	lines := o.lines
	if oneEach {
		lines = o.f.OneEach
	}
	h.send(c, &wire.Request{Id: c.id, Hub: h.name, Lines: lines, Acks: true})
}

// outcome records a host's outcome, moves a rolling request on, and
// answers once every host has one.
func (h *hub) outcome(o *op, host int, r *result) {
	if o.res[host] != nil {
		return
	}
	o.res[host] = r
	o.left--
	if o.f.Rolling && o.left > 0 {
		if failed(r) {
			for _, i := range o.hosts[o.next:] {
				o.res[i] = &result{kind: messages.FleetSkipped, text: "the rolling restart stopped at " + h.inv[host].Name}
			}
			o.left = 0
		} else if !hubNow().Before(o.start.Add(h.requestBound)) {
			// no time left for the next host: sent, it would run the
			// request while its deadline had passed already, and be
			// reported `down` (no answer within the bound)
			for _, i := range o.hosts[o.next:] {
				o.res[i] = &result{kind: messages.FleetSkipped, text: fmt.Sprintf("no time left within %v of the request", h.requestBound)}
			}
			o.left = 0
		} else {
			next := o.hosts[o.next]
			o.next++
			h.sendOp(o, next, false)
			return
		}
	}
	if o.left > 0 {
		return
	}
	o.answer(messages.Reply{Lines: h.format(o)})
}

// failed says whether a host's outcome stops a rolling request: it did
// not answer OK, or some of its services failed (a line other than the
// `done N` of each line it ran).
func failed(r *result) bool {
	return r.kind != messages.FleetOK || messages.FleetBodyFailed(r.lines)
}

// format writes a request's reply: each host in inventory order, its
// lines then its outcome (REFERENCE §12.4).
func (h *hub) format(o *op) []string {
	n := 0
	for _, r := range o.res {
		n += len(r.lines) + 2
	}
	out := make([]string, 0, n)
	for _, i := range o.hosts {
		host, r := h.inv[i], o.res[i]
		if o.f.Verb == messages.VerbFleetHosts {
			out = append(out, messages.FleetLine{Host: host.Name, Kind: messages.FleetHost, Text: host.Addr, Tags: host.Tags}.Format())
		}
		for _, l := range r.lines {
			out = append(out, messages.FleetLine{Host: host.Name, Kind: messages.FleetBody, Text: l}.Format())
		}
		out = append(out, messages.FleetLine{Host: host.Name, Kind: r.kind, Text: r.text, RTT: r.rtt}.Format())
	}
	return out
}

// cannotConnect is a host's `down` when the hub could not connect to
// addr: with the TLS handshake's failure when that was it (§12.4).
func (h *hub) cannotConnect(addr string) string {
	why := "cannot connect to " + addr
	if e := h.dialErr[addr]; e != "" {
		why += ": " + e
	}
	if left := h.leaving[addr]; left != "" {
		why += " (" + left + ")" // what it said as it went
	}
	return why
}
