package messages

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// EventKind says what an Event is about.
type EventKind string

// The kinds of event line (REFERENCE §1.6).
const (
	// EventService: a service changed state (ServiceStateChanged).
	EventService EventKind = "service"
	// EventProxy: a proxy process changed state (ProxyStateChanged).
	EventProxy EventKind = "proxy"
	// EventSocket: a shared socket was bound or closed (SocketStateChanged).
	EventSocket EventKind = "socket"
	// EventCfkd: cfkd logged a warning or an error of its own.
	EventCfkd EventKind = "cfkd"
	// EventLost: the last line of a stream cut off because its reader fell
	// behind: Lost says how many lines it missed.
	EventLost EventKind = "lost"
	// EventEnd: the last line of a stream cfkd ended, Reason saying why
	// (REFERENCE §1.5): its token withdrawn (§5.3); an upgrade in place
	// (Resume); a shutdown, or the destroy of the service a tail follows
	// (Done). A stream that ends with no such line (nor a lost line) was
	// ended by its client, or lost: cfkd crashed or was killed.
	EventEnd EventKind = "end"
	// EventDestroyed: a destroyed service is no longer declared
	// (ServiceForgotten), after its last transition.
	EventDestroyed EventKind = "destroyed"
	// EventHost: a host of a fleet stopped or started answering its hub
	// (`fleet events`, REFERENCE §12.3): from and to are up or down,
	// reason says why it is down.
	EventHost EventKind = "host"
)

// Proxy and socket states as event lines show them.
var (
	proxyStates  = []string{"down", "up", "stopping"}
	socketStates = []string{"unbound", "bound"}
	cfkdLevels   = []string{"warn", "error"}
	hostStates   = []string{"up", "down"}
)

// Event is one line of `command events` (an extension, REFERENCE §1.6):
// one JSON object, on one line, whose kind says which fields it has.
//
//	{"kind":"service","time":"2026-11-21T15:04:05.123Z","service":"web1","from":"running","to":"fail","pid":4711,"reason":"Exited with error 1"}
//	{"kind":"proxy","time":"2026-11-21T15:04:05.2Z","proxy":"p","from":"down","to":"up","pid":4712}
//	{"kind":"socket","time":"2026-11-21T15:04:06Z","socket":"web","from":"unbound","to":"bound","address":"127.0.0.1:8080"}
//	{"kind":"cfkd","time":"2026-11-21T15:04:07Z","level":"warn","message":"web1 crashed 2 times in a row; restarting in 1s","service":"web1"}
//	{"kind":"destroyed","time":"2026-11-21T15:04:08Z","service":"web1"}
//	{"kind":"lost","lost":1234}
//
// Keys, in this order: kind, time, service, proxy, socket, from, to, pid,
// reason, address, level, message, lost. A key is left out when empty (pid
// and lost when 0).
//   - service: service (its name), from and to (states, REFERENCE §1.6),
//     pid (the process the transition is about, also the one whose end
//     made it), reason (the fail reason, in state fail).
//   - proxy: proxy, from and to (down, up, stopping), pid (the proxy
//     process, while it is not down).
//   - socket: socket, from and to (unbound, bound), address (once bound).
//   - destroyed: service, once cfkd has forgotten it.
//   - cfkd: level (warn, error), message, and the service, proxy and pid
//     the record names, if any.
//   - lost: lost alone, no time.
//   - end: reason, and resume or done when so, no time (REFERENCE §1.5).
//
// Time is RFC 3339 in UTC, with the fraction of a second when there is
// one. A client must ignore keys, and kinds, it does not know.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Service string
	Proxy   string
	Socket  string
	From    string
	To      string
	Pid     int
	Reason  string
	Address string
	Level   string
	Message string
	Lost    int
	// Resume, on an end line: cfkd is being upgraded in place, and the
	// client may send the same request again at once, to the same
	// address: the new cfkd (or this one, if the upgrade fails) serves it
	Resume bool
	// Done, on an end line: the stream is over as it should be: cfkd
	// shuts down, or the service a tail follows was destroyed. Its
	// client ends with success (an end line without Done nor Resume is
	// a failure: the token withdrawn)
	Done bool
}

// eventJSON is the wire form of Event.
type eventJSON struct {
	Kind    string `json:"kind"`
	Time    string `json:"time,omitempty"`
	Service string `json:"service,omitempty"`
	Proxy   string `json:"proxy,omitempty"`
	Socket  string `json:"socket,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Pid     int    `json:"pid,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Address string `json:"address,omitempty"`
	Level   string `json:"level,omitempty"`
	Message string `json:"message,omitempty"`
	Lost    int    `json:"lost,omitempty"`
	Resume  bool   `json:"resume,omitempty"`
	Done    bool   `json:"done,omitempty"`
}

// ServiceEvent is the event line of a service's transition.
func ServiceEvent(m ServiceStateChanged) Event {
	return Event{Kind: EventService, Time: m.At, Service: m.Name, From: m.From.String(), To: m.To.String(),
		Pid: m.Pid, Reason: m.Reason}
}

// ProxyEvent is the event line of a proxy's transition, at t.
func ProxyEvent(m ProxyStateChanged, t time.Time) Event {
	return Event{Kind: EventProxy, Time: t, Proxy: m.Name, From: m.From, To: m.To, Pid: m.Pid}
}

// SocketEvent is the event line of a socket's bind or close.
func SocketEvent(m SocketStateChanged) Event {
	return Event{Kind: EventSocket, Time: m.At, Socket: m.Name, From: m.From, To: m.To, Address: m.Address}
}

// DestroyedEvent is the event line of a destroyed service, forgotten.
func DestroyedEvent(m ServiceForgotten) Event {
	return Event{Kind: EventDestroyed, Time: m.At, Service: m.Name}
}

// LostEvent is the last line of a stream that was cut off after losing n
// lines.
func LostEvent(n int) Event { return Event{Kind: EventLost, Lost: n} }

// EndEvent is the last line of a stream cfkd ended, saying why.
func EndEvent(reason string) Event { return Event{Kind: EventEnd, Reason: reason} }

// UpgradeEndEvent is the last line of a stream that an upgrade in place
// ended: its client may send its request again at once (REFERENCE §1.5).
func UpgradeEndEvent() Event {
	return Event{Kind: EventEnd, Reason: "cfkd is being upgraded in place", Resume: true}
}

// UpgradeRetry answers a connection that cfkd's admin socket accepted
// as an upgrade in place drained its console, its request unread
// (REFERENCE §13.3): the request may be sent again at once, on a new
// connection, which the next cfkd serves (or the former one, if the
// upgrade failed). A stream's client takes it as it takes the end line
// of UpgradeEndEvent.
const UpgradeRetry = "cfkd is being upgraded in place: try again"

// ShutdownReason is the reason of the end line of a stream that cfkd's
// shutdown ended (REFERENCE §1.5, §7.4).
const ShutdownReason = "cfkd is shutting down"

// DoneEndEvent is the last line of a stream that is over as it should
// be, saying why: cfkd shuts down (ShutdownReason), the service a tail
// follows was destroyed. Its client ends with success (REFERENCE §1.5).
func DoneEndEvent(reason string) Event { return Event{Kind: EventEnd, Reason: reason, Done: true} }

// Format writes the JSON object, on one line and without HTML escaping,
// a character that is not printable written \uXXXX (jsonPrintable). As
// encoding/json does, invalid UTF-8 in a string becomes U+FFFD: such a
// value does not read back as it is (see Validate).
func (e Event) Format() string { return string(e.Append(nil)) }

// Append appends what Format writes to b.
func (e Event) Append(b []byte) []byte {
	w := eventJSON{
		Kind: string(e.Kind), Time: formatRFC3339(e.Time), Service: e.Service, Proxy: e.Proxy, Socket: e.Socket,
		From: e.From, To: e.To, Pid: e.Pid, Reason: e.Reason, Address: e.Address, Level: e.Level,
		Message: e.Message, Lost: e.Lost, Resume: e.Resume, Done: e.Done,
	}
	buf := bytes.NewBuffer(b)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return b // cannot happen: strings and numbers
	}
	// only the event is escaped: b, a caller's lines (a service's output
	// in a tail stream), is kept as it is
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return append(out[:len(b)], jsonPrintable(out[len(b):])...)
}

// ParseEvent reads an event line: one JSON object (keys it does not know
// are ignored, for a newer cfkd), whose value must be valid (see
// Validate); an unknown kind is an error, which a client should skip
// rather than fail on.
func ParseEvent(line string) (Event, error) {
	var w eventJSON
	if err := json.Unmarshal([]byte(line), &w); err != nil {
		return Event{}, lineErr("event", "%v", err)
	}
	e := Event{
		Kind: EventKind(w.Kind), Service: w.Service, Proxy: w.Proxy, Socket: w.Socket, From: w.From, To: w.To,
		Pid: w.Pid, Reason: w.Reason, Address: w.Address, Level: w.Level, Message: w.Message, Lost: w.Lost,
		Resume: w.Resume, Done: w.Done,
	}
	var err error
	if e.Time, err = parseRFC3339("event", "time", w.Time); err != nil {
		return Event{}, err
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// Validate reports what keeps e from being written and read back as it
// is (the time compared with time.Time.Equal): an unknown kind; a key its
// kind does not have, or lacks; a name that is not one word; a state
// unknown to its kind; a negative pid or count; a time before 1970 or
// after 9999 (or any time on a lost line); invalid UTF-8.
func (e Event) Validate() error {
	const kind = "event"
	has := map[string]bool{
		"service": e.Service != "", "proxy": e.Proxy != "", "socket": e.Socket != "", "from": e.From != "",
		"to": e.To != "", "pid": e.Pid != 0, "reason": e.Reason != "", "address": e.Address != "",
		"level": e.Level != "", "message": e.Message != "", "lost": e.Lost != 0, "time": !e.Time.IsZero(),
		"resume": e.Resume, "done": e.Done,
	}
	var need, may []string // the keys of the kind: needed, allowed
	var states []string
	switch e.Kind {
	case EventService:
		need, may = []string{"time", "service", "from", "to"}, []string{"pid", "reason"}
		states = stateNames[:]
	case EventProxy:
		need, may, states = []string{"time", "proxy", "from", "to"}, []string{"pid"}, proxyStates
	case EventSocket:
		need, may, states = []string{"time", "socket", "from", "to"}, []string{"address"}, socketStates
	case EventCfkd:
		need, may = []string{"time", "level", "message"}, []string{"service", "proxy", "pid"}
	case EventDestroyed:
		need = []string{"time", "service"}
	case EventLost:
		need = []string{"lost"}
	case EventEnd:
		need, may = []string{"reason"}, []string{"resume", "done"}
	case EventHost:
		need, may, states = []string{"time", "from", "to"}, []string{"reason"}, hostStates
	default:
		return lineErr(kind, "unknown kind %q", e.Kind)
	}
	for _, k := range need {
		if !has[k] {
			return lineErr(kind, "a %s event without %s", e.Kind, k)
		}
		delete(has, k)
	}
	for _, k := range may {
		delete(has, k)
	}
	for k, ok := range has {
		if ok {
			return lineErr(kind, "a %s event with %s", e.Kind, k)
		}
	}
	if states != nil && (!oneOf(e.From, states) || !oneOf(e.To, states)) {
		return lineErr(kind, "unknown %s state in %q → %q", e.Kind, e.From, e.To)
	}
	if e.Kind == EventCfkd && !oneOf(e.Level, cfkdLevels) {
		return lineErr(kind, "unknown level %q", e.Level)
	}
	for _, w := range []struct{ what, s string }{{"service", e.Service}, {"proxy", e.Proxy}, {"socket", e.Socket}} {
		if w.s != "" {
			if err := checkWord(kind, w.what, w.s, ""); err != nil {
				return err
			}
		}
	}
	switch {
	case e.Pid < 0 || e.Pid > maxPid:
		return lineErr(kind, "pid %d out of range", e.Pid)
	case e.Lost < 0:
		return lineErr(kind, "negative lost count %d", e.Lost)
	case !e.Time.IsZero() && (e.Time.Unix() < 0 || e.Time.Year() > 9999):
		return lineErr(kind, "time %v out of range", e.Time)
	}
	for _, s := range []string{e.Service, e.Proxy, e.Socket, e.Reason, e.Address, e.Message} {
		if !utf8.ValidString(s) {
			return lineErr(kind, "invalid UTF-8 in %q", s)
		}
	}
	return nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
