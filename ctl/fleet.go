package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// `cfkctl fleet ...` (REFERENCE §12.7): requests to the hosts of a fleet,
// sent to the local cfkd (the hub) as `command fleet ...` over the admin
// protocol, so cfkctl needs no certificate; and `fleet certs`, which makes
// the files of a small fleet.

func init() {
	commands = append(commands, &command{name: "fleet", args: "SUBCOMMAND [ARGS...]", opts: "[--hosts NAME,@TAG,...]", group: groupOther, min: 1, max: many,
		run:   runFleet,
		short: "the hosts of a fleet, through the hub (see cfkctl help fleet)",
		long: `The local cfkd is a fleet's hub (cfkd --fleet-inventory FILE): these send one
request to it, which it sends to each host of its inventory, and print each
host's answer, its name first. A host that does not answer within the
hub's deadline (5s) is reported so while the others answer. Exit status 1
when a host did not answer, answered ERROR, or some of its services failed.

  fleet hosts                       each host: address, up or down, version, round trip
  fleet status [REF...]             every host's status lines: HOST, a tab, the line
  fleet start|stop|up|down REF...   the verb on every selected host
  fleet restart REF...              ... with --rolling-hosts: one host at a time, each
                                    host's services one at a time (running again
                                    before the next); the first host that fails stops
                                    it, and the hosts left untouched are listed
  fleet signal SIG REF...
  fleet events                      the hosts' events, merged, each with its host
  fleet certs DIR --hub NAME=HOST:PORT --host NAME=HOST:PORT...
                                    write a CA and the certificates of a small fleet
  fleet addcert DIR --host NAME=HOST:PORT...
                                    add members (--host, --hub) to the fleet whose CA
                                    DIR holds: their certificates, from that CA

--hosts NAME,@TAG,... (once) selects hosts by name and inventory tag (default: all).
With --json: status an object per host {host, ok, rtt_ms, error, services:
[status objects]}; the verbs {host, ok, rtt_ms, error, lines}; events one
{host, event} per line.`,
		example: "cfkctl fleet hosts\ncfkctl fleet status --hosts @eu @web\ncfkctl fleet restart --rolling-hosts @web\n" +
			"cfkctl fleet certs ./fleet --hub hub=10.0.0.1:7000 --host web1=10.0.0.2:7000 --host web2=10.0.0.3:7000\n" +
			"cfkctl fleet addcert ./fleet --host web3=10.0.0.4:7000"})
}

// checkFleetFlags refuses the fleet's flags on another command.
func checkFleetFlags(o *options, cmd *command) error {
	if cmd.name == "fleet" {
		return nil
	}
	switch {
	case o.hostsGiven > 0:
		return usageErrorf(cmd, "--hosts only applies to fleet")
	case o.rollingHosts:
		return usageErrorf(cmd, "--rolling-hosts only applies to fleet restart")
	case len(o.certHubs) > 0 || len(o.certHosts) > 0:
		return usageErrorf(cmd, "--hub and --host only apply to fleet certs and fleet addcert")
	}
	return nil
}

var fleetVerbs = map[string]bool{"start": true, "stop": true, "up": true, "down": true, "restart": true, "signal": true}

func runFleet(s *session, args []string) error {
	sub, args := args[0], args[1:]
	cmd := lookup("fleet")
	if sub != "certs" && sub != "addcert" && (len(s.opts.certHubs) > 0 || len(s.opts.certHosts) > 0) {
		return usageErrorf(cmd, "--hub and --host only apply to fleet certs and fleet addcert")
	}
	prefix, err := fleetPrefix(s.opts, cmd, sub)
	if err != nil {
		return err
	}
	switch {
	case sub == "certs":
		return runFleetCerts(s, args)
	case sub == "addcert":
		return runFleetAddCert(s, args)
	case sub == "hosts":
		if len(args) > 0 {
			return usageErrorf(cmd, "fleet hosts takes no argument")
		}
		return runFleetHosts(s, prefix)
	case sub == "status":
		sels, err := selectorsOrAll(args)
		if err != nil {
			return err
		}
		return runFleetStatus(s, prefix+" status "+strings.Join(sels, " "))
	case sub == "events":
		if len(args) > 0 {
			return usageErrorf(cmd, "fleet events takes no argument (--hosts selects hosts)")
		}
		return runFleetEvents(s, prefix+" events")
	case fleetVerbs[sub]:
		var sig string
		if sub == "signal" {
			if len(args) == 0 {
				return usageErrorf(cmd, "fleet signal needs a signal and services: fleet signal SIG REF...")
			}
			// checked before anything is sent, as cfkctl signal does
			// (REFERENCE §8.2): the hub's refusal was exit status 1
			if _, ok := messages.ParseSignal(args[0]); !ok {
				return unknownSignal(cmd, args[0])
			}
			sig, args = args[0]+" ", args[1:]
		}
		if len(args) == 0 {
			return usageErrorf(cmd, "fleet %s needs services: REF...", sub)
		}
		sels, err := selectors(args)
		if err != nil {
			return err
		}
		return runFleetVerb(s, prefix+" "+sub+" "+sig+strings.Join(sels, " "))
	}
	return usageErrorf(cmd, "unknown fleet command '%s'", sub)
}

// hostReply is one host's part of a reply to `command fleet`.
type hostReply struct {
	Host string `json:"host"`
	OK   bool   `json:"ok"`
	// Outcome is the kind of the host's outcome line: ok, error, down or
	// skipped (REFERENCE §12.4), which error alone does not tell
	Outcome string   `json:"outcome,omitempty"`
	RTT     *float64 `json:"rtt_ms,omitempty"`
	Error   string   `json:"error,omitempty"`
	Lines   []string `json:"lines,omitempty"`
	// what `fleet hosts` adds
	Addr    string   `json:"address,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Version string   `json:"version,omitempty"`
	kind    messages.FleetLineKind
	// later: the host's lines of kinds cfkctl does not know, a newer
	// hub's (REFERENCE §12.4), as the hub wrote them: shown as is, left
	// out of --json (laterNote)
	later []string
}

// noOutcome is the error of a host whose outcome line is of no kind
// cfkctl knows.
const noOutcome = "no outcome line that this cfkctl knows (a newer hub's?)"

// fleetCall sends a fleet request and reads its reply, host by host.
func fleetCall(s *session, req string) ([]*hostReply, error) {
	lines, err := s.call(req)
	if err != nil {
		return nil, err
	}
	var out []*hostReply
	var cur *hostReply
	for _, l := range lines {
		fl, err := messages.ParseFleetLine(l)
		if err != nil {
			return nil, fmt.Errorf("cfkd's reply to %q: %w", req, err)
		}
		if cur == nil || cur.Host != fl.Host || cur.kind != "" && fl.Known() {
			cur = &hostReply{Host: fl.Host}
			out = append(out, cur)
		}
		if !fl.Known() { // after its outcome too
			cur.later = append(cur.later, l)
			continue
		}
		switch fl.Kind {
		case messages.FleetBody:
			cur.Lines = append(cur.Lines, fl.Text)
		case messages.FleetHost:
			cur.Addr, cur.Tags = fl.Text, fl.Tags
		default:
			cur.kind, cur.Outcome = fl.Kind, string(fl.Kind)
			cur.OK = fl.Kind == messages.FleetOK
			if fl.Kind == messages.FleetOK || fl.Kind == messages.FleetError {
				ms := float64(fl.RTT.Microseconds()) / 1000
				cur.RTT = &ms
			}
			if !cur.OK {
				cur.Error = fl.Text
			}
		}
	}
	for _, h := range out {
		if h.kind == "" {
			h.Error = noOutcome
		}
	}
	return out, nil
}

// printLater prints the host's lines of kinds cfkctl does not know, as
// the hub wrote them.
func printLater(s *session, h *hostReply) error {
	for _, l := range h.later {
		if _, err := fmt.Fprintln(s.env.stdout, s.safeOut(l)); err != nil {
			return err
		}
	}
	return nil
}

// laterNote says on stderr, once, that --json left out lines of kinds
// cfkctl does not know, so that stdout holds the one JSON value of the
// shape REFERENCE §12.7 gives.
func laterNote(s *session, hosts []*hostReply) {
	n, kinds := 0, []string{}
	for _, h := range hosts {
		for _, l := range h.later {
			n++
			if fl, err := messages.ParseFleetLine(l); err == nil && !slices.Contains(kinds, string(fl.Kind)) {
				kinds = append(kinds, string(fl.Kind))
			}
		}
	}
	if n > 0 {
		fmt.Fprintf(s.env.stderr, "cfkctl: note: %d lines of kinds this cfkctl does not know (a newer hub's?) left out: %s\n",
			n, s.env.safeErr(strings.Join(kinds, ", ")))
	}
}

// hostProblem is what a host's outcome says when it is not OK, as
// printed after its name.
func (h *hostReply) problem() string {
	switch h.kind {
	case messages.FleetError:
		return "ERROR: " + h.Error
	case messages.FleetDown:
		return "down: " + h.Error
	case messages.FleetSkipped:
		return "skipped: " + h.Error
	case "":
		return h.Error
	}
	return ""
}

// fleetFailed is the error of a request some hosts of which failed.
func fleetFailed(hosts []*hostReply, failedLines bool) error {
	var bad []string
	for _, h := range hosts {
		if !h.OK || failedLines && messages.FleetBodyFailed(h.Lines) {
			bad = append(bad, h.Host)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &userError{msg: fmt.Sprintf("fleet: %d of %d hosts failed: %s", len(bad), len(hosts), strings.Join(bad, ", "))}
}

func runFleetHosts(s *session, prefix string) error {
	hosts, err := fleetCall(s, prefix+" hosts")
	if err != nil {
		return err
	}
	for _, h := range hosts {
		if h.OK && len(h.Lines) > 0 {
			h.Version, h.Lines = h.Lines[0], nil
		}
	}
	if s.opts.json {
		laterNote(s, hosts)
		if err := writeJSON(s.env.jsonOut(), hosts); err != nil {
			return err
		}
		return afterJSON(s, fleetFailed(hosts, false))
	}
	for _, h := range hosts {
		state, rtt := "up", ""
		if h.RTT != nil {
			rtt = fmt.Sprintf("%.1fms", *h.RTT)
		}
		if !h.OK {
			state = "down"
		}
		line := fmt.Sprintf("%-5s %-16s %-22s %-24s %8s %s", state, h.Host, h.Addr, h.Version, rtt, strings.Join(h.Tags, ","))
		if !h.OK {
			line += "  (" + h.problem() + ")"
		}
		if _, err := fmt.Fprintln(s.env.stdout, s.safeOut(strings.TrimRight(line, " "))); err != nil {
			return err
		}
		if err := printLater(s, h); err != nil {
			return err
		}
	}
	return fleetFailed(hosts, false)
}

// fleetStatus is a host's part of `fleet status --json`.
type fleetStatus struct {
	Host     string       `json:"host"`
	OK       bool         `json:"ok"`
	Outcome  string       `json:"outcome,omitempty"` // hostReply.Outcome
	RTT      *float64     `json:"rtt_ms,omitempty"`
	Error    string       `json:"error,omitempty"`
	Services []statusJSON `json:"services"`
}

// statusOnce keeps a host's first status line of each service: the hub asks
// a host one selector at a time (REFERENCE §12.3), so a service two
// references select came twice, where `cfkctl status` prints it once.
func statusOnce(sts []messages.StatusLine) []messages.StatusLine {
	seen := map[string]bool{}
	out := sts[:0]
	for _, st := range sts {
		if !seen[st.Name] {
			seen[st.Name] = true
			out = append(out, st)
		}
	}
	return out
}

func runFleetStatus(s *session, req string) error {
	hosts, err := fleetCall(s, req)
	if err != nil {
		return err
	}
	var out []fleetStatus
	now, color := s.env.now(), s.color()
	for _, h := range hosts {
		sts, err := parseReply(req, h.Lines, messages.ParseStatusLine)
		if err != nil {
			return err
		}
		sts = statusOnce(sts)
		if s.opts.json {
			fs := fleetStatus{Host: h.Host, OK: h.OK, Outcome: h.Outcome, RTT: h.RTT, Error: h.problem(), Services: []statusJSON{}}
			for _, st := range sts {
				fs.Services = append(fs.Services, statusJSONOf(st))
			}
			out = append(out, fs)
			continue
		}
		for _, st := range sts {
			st.Name, st.FailReason = s.safeOut(st.Name), s.safeOut(st.FailReason)
			if _, err := fmt.Fprintf(s.env.stdout, "%s\t%s\n", h.Host, formatStatus(st, now, s.env.loc, color)); err != nil {
				return err
			}
		}
		if err := printLater(s, h); err != nil {
			return err
		}
		if !h.OK {
			if _, err := fmt.Fprintf(s.env.stdout, "%s\t%s\n", h.Host, s.safeOut(h.problem())); err != nil {
				return err
			}
		}
	}
	if s.opts.json {
		laterNote(s, hosts)
		if err := writeJSON(s.env.jsonOut(), out); err != nil {
			return err
		}
		return afterJSON(s, fleetFailed(hosts, false))
	}
	return fleetFailed(hosts, false)
}

func runFleetVerb(s *session, req string) error {
	hosts, err := fleetCall(s, req)
	if err != nil {
		return err
	}
	if s.opts.json {
		laterNote(s, hosts)
		if err := writeJSON(s.env.jsonOut(), hosts); err != nil {
			return err
		}
		return afterJSON(s, fleetFailed(hosts, true))
	}
	for _, h := range hosts {
		for _, l := range h.Lines {
			if _, err := fmt.Fprintf(s.env.stdout, "%s\t%s\n", h.Host, s.safeOut(l)); err != nil {
				return err
			}
		}
		if err := printLater(s, h); err != nil {
			return err
		}
		if !h.OK {
			if _, err := fmt.Fprintf(s.env.stdout, "%s\t%s\n", h.Host, s.safeOut(h.problem())); err != nil {
				return err
			}
		}
	}
	return fleetFailed(hosts, true)
}

// fleetEvent is a line of `fleet events --json`.
type fleetEvent struct {
	Host  string          `json:"host"`
	Event json.RawMessage `json:"event"`
}

func runFleetEvents(s *session, req string) (err error) {
	defer func() { s.noteRefusal(err, s.onTCP()) }()
	first, err := openStream(s.opts, s.env, req)
	if err != nil {
		return err
	}
	st := newResumable(s, "fleet events", req, first, &streamGroup{}) // across the hub's upgrade in place
	defer st.stop()
	if s.opts.json {
		// the gap shows in what a consumer reads, as in `events --json`
		st.onResume = func() { fmt.Fprintln(s.env.jsonOut(), messages.UpgradeEndEvent().Format()) }
	}
	color := s.color()
	end := st.follow(func(l string) error {
		host, ev, err := messages.ParseFleetEventLine(l)
		if err != nil {
			_, err := fmt.Fprintln(s.env.stdout, s.safeOut(l))
			return err
		}
		if s.opts.json {
			if !json.Valid([]byte(ev)) {
				return nil
			}
			b, _ := json.Marshal(fleetEvent{Host: host, Event: json.RawMessage(ev)})
			_, err := fmt.Fprintln(s.env.jsonOut(), string(b))
			return err
		}
		if _, err := io.WriteString(s.env.stdout, s.safeOut(host)+" "); err != nil {
			return err
		}
		return printEvent(s, ev, color)
	})
	if err := fleetEventsEndJSON(s, end); err != nil {
		return err
	}
	switch {
	case end.err != nil:
		return end.err
	case end.lost > 0:
		return fmt.Errorf("fleet events: cut off by cfkd after losing %d events (not read fast enough)", end.lost)
	case end.ended != "":
		return fmt.Errorf("fleet events: cfkd ended the stream: %s", end.ended)
	case end.closed:
		return lostDaemon("fleet events")
	}
	return nil
}

// fleetEventsEndJSON writes, with --json, the hub's last line of the
// stream as `cfkctl --json events` writes a cfkd's (REFERENCE §8.3,
// §12.7): the end line of a shutdown, of an end for another reason, or
// the lost line, the object alone, with no host. Its write error is the
// command's: it may be the only line.
func fleetEventsEndJSON(s *session, end streamEnd) error {
	if !s.opts.json || end.err != nil {
		return nil
	}
	var ev messages.Event
	switch {
	case end.lost > 0:
		ev = messages.LostEvent(end.lost)
	case end.ended != "":
		ev = messages.EndEvent(end.ended)
	case end.done != "":
		ev = messages.DoneEndEvent(end.done)
	default:
		return nil
	}
	_, err := fmt.Fprintln(s.env.jsonOut(), ev.Format())
	return err
}

// certValidity is how long `fleet certs` makes the members' certificates
// valid (the CA ten times that).
const certValidity = 2 * 365 * 24 * time.Hour

func runFleetCerts(s *session, args []string) error {
	cmd := lookup("fleet")
	if len(args) != 1 {
		return usageErrorf(cmd, "fleet certs needs one directory: fleet certs DIR --hub NAME=HOST:PORT --host NAME=HOST:PORT...")
	}
	if len(s.opts.certHubs) == 0 {
		return usageErrorf(cmd, "fleet certs needs a hub: --hub NAME=HOST:PORT")
	}
	members, err := certMembers(s, cmd)
	if err != nil {
		return err
	}
	if err := certs.Generate(args[0], members, certValidity); err != nil {
		return &userError{msg: "fleet certs: " + err.Error()}
	}
	if !s.opts.json {
		inventory, files := "", ""
		if len(s.opts.certHosts) > 0 {
			inventory = " --fleet-inventory " + certs.InventoryFile
			files = ", " + certs.InventoryFile + " (the hosts, for the hubs; add their tags)"
		}
		if _, err := fmt.Fprintf(s.env.stdout, "%s: %s (keep %s off the hosts)%s, and for each member NAME.pem, NAME.key:\n",
			args[0], certs.CAFile, certs.CAKeyFile, files); err != nil {
			return err
		}
		for _, m := range members {
			c, k := certs.Files(m.Name)
			more := ""
			if m.Role == certs.RoleHub {
				more = inventory
			}
			if _, err := fmt.Fprintf(s.env.stdout, "  %-5s %-16s cfkd --fleet-listen %s --fleet-ca %s --fleet-cert %s --fleet-key %s%s\n",
				m.Role, m.Name, m.Addr, certs.CAFile, c, k, more); err != nil {
				return err
			}
		}
		return nil
	}
	return writeJSON(s.env.jsonOut(), jsonLines{OK: true, Lines: []string{}})
}

// certMembers are the members of --hub and --host.
func certMembers(s *session, cmd *command) ([]certs.Member, error) {
	var members []certs.Member
	for _, l := range []struct {
		role string
		vals listValue
	}{{certs.RoleHub, s.opts.certHubs}, {certs.RoleHost, s.opts.certHosts}} {
		for _, v := range l.vals {
			name, addr, ok := strings.Cut(v, "=")
			if !ok {
				return nil, usageErrorf(cmd, "--%s %s: want NAME=HOST:PORT", l.role, v)
			}
			members = append(members, certs.Member{Name: name, Role: l.role, Addr: addr})
		}
	}
	return members, nil
}

// runFleetAddCert adds members to the fleet whose CA DIR holds
// (REFERENCE §12.2): their certificates and keys, from that CA; never
// overwriting a file, nor the inventory, whose lines to add it prints.
func runFleetAddCert(s *session, args []string) error {
	cmd := lookup("fleet")
	if len(args) != 1 {
		return usageErrorf(cmd, "fleet addcert needs one directory, the fleet's (ca.pem, ca.key): fleet addcert DIR --host NAME=HOST:PORT...")
	}
	members, err := certMembers(s, cmd)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return usageErrorf(cmd, "fleet addcert needs a member: --host NAME=HOST:PORT or --hub NAME=HOST:PORT")
	}
	if err := certs.Issue(args[0], members, certValidity); err != nil {
		return &userError{msg: "fleet addcert: " + err.Error()}
	}
	if s.opts.json {
		return writeJSON(s.env.jsonOut(), jsonLines{OK: true, Lines: []string{}})
	}
	if _, err := fmt.Fprintf(s.env.stdout, "%s: for each member NAME.pem, NAME.key, from %s:\n", args[0], certs.CAFile); err != nil {
		return err
	}
	var inv []string
	for _, m := range members {
		c, k := certs.Files(m.Name)
		more := ""
		if m.Role == certs.RoleHub {
			more = " --fleet-inventory " + certs.InventoryFile
		} else {
			inv = append(inv, fmt.Sprintf("host %s addr=%s", m.Name, m.Addr))
		}
		if _, err := fmt.Fprintf(s.env.stdout, "  %-5s %-16s cfkd --fleet-listen %s --fleet-ca %s --fleet-cert %s --fleet-key %s%s\n",
			m.Role, m.Name, m.Addr, certs.CAFile, c, k, more); err != nil {
			return err
		}
	}
	if len(inv) > 0 {
		if _, err := fmt.Fprintf(s.env.stdout, "add to the hubs' inventory (then restart them; add the tags):\n  %s\n", strings.Join(inv, "\n  ")); err != nil {
			return err
		}
	}
	return nil
}

// listValue is a flag given several times (--host a=x --host b=y).
type listValue []string

func (l *listValue) String() string { return strings.Join(*l, ",") }

func (l *listValue) Set(v string) error {
	*l = append(*l, v)
	return nil
}
