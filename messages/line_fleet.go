package messages

import (
	"strconv"
	"strings"
	"time"
)

// FleetLineKind says what a line of a hub's reply to `command fleet` is
// (REFERENCE §12.4).
type FleetLineKind string

// The kinds of fleet line.
const (
	// FleetBody: Text is one body line of the host's reply, as the host
	// wrote it (a status line, `done N`, `NAME: MESSAGE`...).
	FleetBody FleetLineKind = "line"
	// FleetOK: the host answered OK, after RTT (its lines came before).
	FleetOK FleetLineKind = "ok"
	// FleetError: the host answered `ERROR: Text`, after RTT.
	FleetError FleetLineKind = "error"
	// FleetDown: the host did not answer within the deadline, or could not
	// be reached: Text says which.
	FleetDown FleetLineKind = "down"
	// FleetSkipped: a rolling request stopped before this host: Text says
	// where it stopped.
	FleetSkipped FleetLineKind = "skipped"
	// FleetHost: `fleet hosts`: the host's address (Text) and inventory
	// tags, before its version (a FleetBody line) and its outcome.
	FleetHost FleetLineKind = "host"
)

// FleetLine is one body line of a hub's reply to `command fleet`: the
// host's name, a tab, the kind, a tab, then the kind's fields:
//
//	web1	line	svc1	running	4711	1795274153				sleep 100
//	web1	ok	1.532
//	web2	error	0.914	Couldn't find a valid service. bailing.
//	web3	down	no answer within 5s
//	web4	skipped	the rolling restart stopped at web2
//	web1	host	127.0.0.2:7001	web,eu
//
// RTT is in milliseconds with three decimals. Every host of the request
// has exactly one outcome line (ok, error, down or skipped), after its
// body lines. The kinds whose last field is not text (ok, host) may get
// more fields from a newer hub (REFERENCE §12.4): the parser ignores
// them, so that they do not break a cfkctl of today; a kind it does not
// know, a newer hub's, is read as the kind and its fields as Text (see
// Known), which the client shows or leaves out.
type FleetLine struct {
	Host string
	Kind FleetLineKind
	Text string        // the body line, the error, why it is down or skipped, the address
	RTT  time.Duration // ok and error
	Tags []string      // host
}

// Format writes the line (the last field may hold tabs, but for ok's and
// host's, which fields of a newer hub may follow; CR and LF become
// spaces).
func (l FleetLine) Format() string {
	if l.Kind == FleetBody { // most lines: one allocation
		return field(l.Host) + "\tline\t" + lastField(l.Text)
	}
	f := []string{field(l.Host), string(l.Kind)}
	switch l.Kind {
	case FleetOK:
		f = append(f, formatMillis(l.RTT))
	case FleetError:
		f = append(f, formatMillis(l.RTT), lastField(l.Text))
	case FleetHost:
		f = append(f, field(l.Text), field(strings.Join(l.Tags, ","))) // no tab: fields may follow
	default:
		f = append(f, lastField(l.Text))
	}
	return strings.Join(f, "\t")
}

// ParseFleetLine reads a fleet line: one of a kind it does not know (a
// word) is kept, Text all its fields (Known is false).
func ParseFleetLine(line string) (FleetLine, error) {
	const kind = "fleet"
	host, rest, ok := strings.Cut(line, "\t")
	if !ok {
		return FleetLine{}, lineErr(kind, "no tab after the host")
	}
	if err := checkWord(kind, "host", host, ""); err != nil {
		return FleetLine{}, err
	}
	k, rest, _ := strings.Cut(rest, "\t")
	l := FleetLine{Host: host, Kind: FleetLineKind(k)}
	var err error
	switch l.Kind {
	case FleetBody, FleetDown, FleetSkipped:
		l.Text = rest
	case FleetOK:
		ms, _, _ := strings.Cut(rest, "\t") // a newer hub's fields after it are ignored
		l.RTT, err = parseMillis(kind, ms)
	case FleetError:
		ms, text, ok := strings.Cut(rest, "\t")
		if !ok {
			return FleetLine{}, lineErr(kind, "an error line without its message")
		}
		l.Text = text
		l.RTT, err = parseMillis(kind, ms)
	case FleetHost:
		addr, tags, ok := strings.Cut(rest, "\t")
		if !ok {
			return FleetLine{}, lineErr(kind, "a host line without its tags")
		}
		tags, _, _ = strings.Cut(tags, "\t") // likewise
		l.Text, l.Tags = addr, splitList(tags, ",")
	default: // a later hub's kind: kept, its fields in Text
		if err := checkWord(kind, "kind", k, ""); err != nil {
			return FleetLine{}, err
		}
		l.Text = rest
	}
	if err != nil {
		return FleetLine{}, err
	}
	if err := checkText(kind, "text", l.Text, l.Kind != FleetHost); err != nil {
		return FleetLine{}, err
	}
	return l, nil
}

// Known reports whether the line is of a kind this reader knows; a line
// of another kind, a later hub's (REFERENCE §12.4), has its fields,
// tabs and all, in Text.
func (l FleetLine) Known() bool {
	switch l.Kind {
	case FleetBody, FleetOK, FleetError, FleetDown, FleetSkipped, FleetHost:
		return true
	}
	return false
}

// Outcome reports whether the line is a host's outcome (ok, error, down,
// skipped) rather than one of its body lines.
func (l FleetLine) Outcome() bool {
	switch l.Kind {
	case FleetOK, FleetError, FleetDown, FleetSkipped:
		return true
	}
	return false
}

func formatMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 3, 64)
}

func parseMillis(kind, s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, lineErr(kind, "invalid round trip %q", s)
	}
	return time.Duration(f*1000) * time.Microsecond, nil
}

// FleetEventLine is one line of `command fleet events`: the host's name,
// a tab, then the host's event line (REFERENCE §1.6), or an event of kind
// host that the hub writes when the host stops or starts answering.
func FleetEventLine(host string, event []byte) []byte {
	b := make([]byte, 0, len(host)+1+len(event))
	return append(append(append(b, host...), '\t'), event...)
}

// ParseFleetEventLine cuts a line of `command fleet events` into the host
// and its event line.
func ParseFleetEventLine(line string) (host, event string, err error) {
	host, event, ok := strings.Cut(line, "\t")
	if !ok {
		return "", "", lineErr("fleet event", "no tab after the host")
	}
	if err := checkWord("fleet event", "host", host, ""); err != nil {
		return "", "", err
	}
	return host, event, nil
}
