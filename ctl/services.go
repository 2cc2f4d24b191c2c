package ctl

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// verbRunner is `cfkctl VERB REF...` for the service verbs: one `command
// VERB SEL...` with every reference's selector (REFERENCE §1.4, §8.2), or
// with a cfkd that takes one selector a request, `command VERB SEL` per
// reference, each service once (eachOnce), stopping at the first ERROR.
// Body lines other than `done N` name services that failed while others
// succeeded: warnings on stderr.
func verbRunner(verb string) func(*session, []string) error {
	return func(s *session, args []string) error {
		sels, err := selectors(args)
		if err != nil {
			return err
		}
		wire := verb
		if verb == "restart" && s.opts.rolling {
			wire = "rollingrestart"
		}
		all, err := verbCalls(s, wire, sels)
		if err != nil {
			return err
		}
		// a roll that stopped part way is a deploy that failed, as the
		// first service's failure is (REFERENCE §8.3)
		stopped := wire == "rollingrestart" && slices.ContainsFunc(all, func(l string) bool { return !messages.IsDoneLine(l) })
		switch {
		case s.opts.json && stopped:
			if err := writeJSON(s.env.jsonOut(), jsonLines{OK: false, Lines: all}); err != nil {
				return err
			}
			return &silentError{} // one JSON value, ok false
		case s.opts.json:
			return printLines(s, all)
		case stopped:
			return errors.New("the rolling restart stopped before the end (see the lines above)")
		}
		return nil
	}
}

// verbCalls sends the service verb wire for the selectors sels and
// returns the body lines, warning of each failure (but with --json). All
// of them go in one request, so that cfkd plans their services together
// (REFERENCE §2.8): sent one per reference, `stop db app` (app requires
// db) stopped app with db, then failed `Service 'app' is already down`
// (exit 1), while `stop app db` succeeded. A cfkd that takes one selector
// a request (an older one, or the original) refuses it with the text of
// the original's selector error, which a cfkd that takes several never
// answers to well-formed selectors: then one request per reference, as
// before.
func verbCalls(s *session, wire string, sels []string) ([]string, error) {
	if len(sels) > 1 {
		call := s.call
		if line := "command " + wire + " " + strings.Join(sels, " "); len(line) > protocol.MaxLine {
			call = func(string) ([]string, error) { return chunkedCalls(s, wire, sels) }
		}
		lines, err := call("command " + wire + " " + strings.Join(sels, " "))
		if err == nil || !oneSelectorOnly(err) {
			if err == nil && !s.opts.json {
				warnFailures(s, lines)
			}
			return lines, err
		}
	}
	sels, err := eachOnce(s, sels, tagMembers{})
	if err != nil {
		return nil, err
	}
	var all []string
	for _, sel := range sels {
		lines, err := s.call("command " + wire + " " + sel)
		if err != nil {
			return nil, err
		}
		all = append(all, lines...)
		if !s.opts.json {
			warnFailures(s, lines)
		}
	}
	return all, nil
}

// chunkedCalls is the request of verbCalls when it would exceed cfkd's
// 65536 bytes (`cfkctl stop $(cfkctl list)` among thousands of
// services): the references, each service once (eachOnce), in requests
// that fit, their replies made one as cfkd makes a request's (REFERENCE
// §1.4): `done N`, N summed, then the lines of the services that failed
// (a request that none of its services succeeded in answers ERROR with
// its first failure, kept as such a line), or the first failure as the
// ERROR when no service succeeded. Sent one per reference instead, as
// before, the first reference whose services all failed (`already down`)
// was an ERROR, exit status 1, and the references after it were not sent,
// where the same command with fewer services warned and exited 0. A
// reference that selects nothing is found before anything is sent, as
// cfkd finds it in one request; a roll stops at the request it stopped in.
func chunkedCalls(s *session, wire string, sels []string) ([]string, error) {
	tags := tagMembers{}
	if err := checkSelectors(s, sels, tags); err != nil {
		return nil, err
	}
	sels, err := eachOnce(s, sels, tags)
	if err != nil {
		return nil, err
	}
	prefix := "command " + wire
	var chunks [][]string
	n := protocol.MaxLine // the length of the last chunk's request
	for _, sel := range sels {
		if n+1+len(sel) > protocol.MaxLine {
			chunks, n = append(chunks, nil), len(prefix)
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], sel)
		n += 1 + len(sel)
	}
	done := 0
	var failed []string
	var first error
	firstName := ""
	for _, c := range chunks {
		lines, err := s.call(prefix + " " + strings.Join(c, " "))
		var re *protocol.RemoteError
		switch {
		case err != nil && (!errors.As(err, &re) || re.Msg == messages.ErrNoService.Error() || oneSelectorOnly(err)):
			return nil, err
		case err != nil:
			// the ERROR of them all is the first failure in name order
			l := firstFailure(c, re.Msg)
			if name, _, _ := strings.Cut(l, ": "); first == nil || l != re.Msg && name < firstName {
				first, firstName = err, name
			}
			failed = append(failed, l)
		default:
			for _, l := range lines {
				if k, ok := strings.CutPrefix(l, "done "); ok && messages.IsDoneLine(l) {
					m, _ := strconv.Atoi(k)
					done += m
				} else {
					failed = append(failed, l)
				}
			}
		}
		if wire == "rollingrestart" && len(failed) > 0 {
			break // the roll stopped: the services after it are left as they are
		}
	}
	if done == 0 && first != nil {
		return nil, first
	}
	return append([]string{"done " + strconv.Itoa(done)}, failed...), nil
}

// firstFailure is the line of a request of chunkedCalls that none of its
// services succeeded in, whose ERROR is its first failure in name order:
// `NAME: MESSAGE`, as cfkd writes the failures of a request that others
// succeeded in, when the request names its services (the first name in
// order is then the first failure's); MESSAGE alone with a tag among
// them.
func firstFailure(sels []string, msg string) string {
	first := ""
	for _, sel := range sels {
		name, ok := strings.CutPrefix(sel, "service ")
		if !ok {
			return msg
		}
		if first == "" || name < first {
			first = name
		}
	}
	return first + ": " + msg
}

// checkSelectors answers cfkd's `Couldn't find a valid service.
// bailing.` when one of sels selects no service, as cfkd answers a
// request of them all before it acts on any: a name that `command list`
// does not hold, a tag that `command status tag TAG` selects nothing of.
func checkSelectors(s *session, sels []string, tags tagMembers) error {
	names, err := s.call("command list")
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(names))
	for _, n := range names {
		known[n] = true
	}
	for _, sel := range sels {
		if name, ok := strings.CutPrefix(sel, "service "); ok && !known[name] {
			return &protocol.RemoteError{Msg: messages.ErrNoService.Error()}
		}
		if strings.HasPrefix(sel, "tag ") {
			names, err := tags.of(s, sel)
			if err != nil {
				return err
			}
			if len(names) == 0 {
				return &protocol.RemoteError{Msg: messages.ErrNoService.Error()}
			}
		}
	}
	return nil
}

// oneSelectorOnly reports whether err is a cfkd's refusal of several
// selectors in one request: the original's error for a selector given
// more words than it takes (REFERENCE §1.7).
func oneSelectorOnly(err error) bool {
	var re *protocol.RemoteError
	if !errors.As(err, &re) {
		return false
	}
	return messages.IsOneSelectorError(re.Msg)
}

// eachOnce makes the selectors of several references select each
// service once (REFERENCE §8.2): sent one per reference, `start @r r1`
// started r1 with the tag, then failed `already up` for its name (exit
// 1), while `start r1 @r` warned (exit 0), and a restart or a signal
// went twice to a service two references selected. It asks which
// services each tag reference selects (`command status tag TAG`, when a
// tag is among two references or more), then sends a reference as it is
// when it selects nothing an earlier one did, nothing when an earlier
// one selected all it selects (r1 goes with @r: `start @r r1` and `start
// r1 @r` are both `start tag r`), and otherwise one `service NAME` per
// service that no earlier reference selected. A tag that selects nothing
// is sent as it is: cfkd says so.
func eachOnce(s *session, sels []string, tags tagMembers) ([]string, error) {
	if len(sels) < 2 || !slices.ContainsFunc(sels, func(sel string) bool { return strings.HasPrefix(sel, "tag ") }) {
		return sels, nil
	}
	members := make([][]string, len(sels))
	covered := map[string]bool{} // the names some tag reference selects
	for k, sel := range sels {
		if name, ok := strings.CutPrefix(sel, "service "); ok {
			members[k] = []string{name}
			continue
		}
		names, err := tags.of(s, sel)
		if err != nil {
			return nil, err
		}
		members[k] = names
		for _, name := range names {
			covered[name] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for k, sel := range sels {
		if name, ok := strings.CutPrefix(sel, "service "); ok && covered[name] {
			continue // sent with the tag that selects it
		}
		var fresh []string
		for _, n := range members[k] {
			if !seen[n] {
				fresh = append(fresh, n)
			}
			seen[n] = true
		}
		switch {
		case len(fresh) == len(members[k]):
			out = append(out, sel)
		default:
			for _, n := range fresh {
				out = append(out, "service "+n)
			}
		}
	}
	return out, nil
}

// tagMembers keeps the services each tag reference selects, as cfkd
// answered `command status tag TAG`, so that one command asks it once
// per tag (checkSelectors, then eachOnce).
type tagMembers map[string][]string

// of is the names of the services the reference sel (`tag TAG`) selects.
func (m tagMembers) of(s *session, sel string) ([]string, error) {
	if names, ok := m[sel]; ok {
		return names, nil
	}
	lines, err := s.call("command status " + sel)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(lines))
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "\t")
		names = append(names, name)
	}
	m[sel] = names
	return names, nil
}

// runSignal is `cfkctl signal SIG REF...`: the service verb `signal`
// with its signal before the selector.
func runSignal(s *session, args []string) error {
	if _, ok := messages.ParseSignal(args[0]); !ok { // checked before anything is sent (REFERENCE §8.2)
		return unknownSignal(nil, args[0])
	}
	return verbRunner("signal "+args[0])(s, args[1:])
}

// warnFailures prints the lines of a service verb's reply but `done N` on
// stderr as warnings: services that failed while others succeeded.
func warnFailures(s *session, lines []string) {
	for _, l := range lines {
		if !messages.IsDoneLine(l) {
			fmt.Fprintf(s.env.stderr, "warning: %s\n", s.env.safeErr(l))
		}
	}
}

// runPids is `cfkctl pids [REF...]`: cfkd's `NAME: PID` lines, each
// service once.
func runPids(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	var lines []string
	pids := map[string]*int64{}
	for _, sel := range sels {
		req := "command pids " + sel
		got, err := s.call(req)
		if err != nil {
			return err
		}
		pls, err := parseReply(req, got, messages.ParsePidsLine)
		if err != nil {
			return err
		}
		for k, pl := range pls {
			if _, dup := pids[pl.Name]; dup {
				continue
			}
			pids[pl.Name] = positive(int64(pl.Pid))
			lines = append(lines, got[k])
		}
	}
	if s.opts.json {
		return writeJSON(s.env.jsonOut(), pids)
	}
	return printLines(s, lines)
}

// descOf is what `cfkctl desc` shows of one service: its desc line and
// the services it requires (known is false when cfkd does not say: one
// without inspect).
type descOf struct {
	messages.DescLine
	requires []string
	known    bool
	// fromLine: desc and cmd are cfkd's desc line's (a cfkd without
	// inspect, or rawDescs), its escapes in them (\xNN, a \ kept)
	fromLine bool
	// what inspect adds: restarts since declared, the last end and when
	restarts     int
	lastExit     string
	lastExitTime time.Time
}

// formatDesc is `NAME: tags="..." desc="..." proxy="..." cmd="..."
// requires="..."`, leaving out what is empty and escaping `"` as the
// original did, and `\` as `\\` (REFERENCE §8.2): a value holding `\"`
// (`cmd=printf "\"%s\"" x`) was written `\\"`, which read as an escaped
// `\` then the value's end, and a literal `\x1b` as what cfkctl writes of
// an ESC on a terminal. Values of a desc line (fromLine) keep their `\`:
// cfkd's `\xNN` in them would read as the value's text.
func formatDesc(d descOf) string {
	quote := descQuote
	if d.fromLine {
		quote = lineQuote
	}
	parts := []string{d.Name + ":"}
	last := ""
	if d.lastExit != "" {
		last = d.lastExit + " at " + d.lastExitTime.Local().Format("Mon Jan 2 15:04:05 2006")
	}
	for _, kv := range [][2]string{{"tags", strings.Join(d.Tags, ", ")}, {"desc", d.Desc}, {"proxy", d.Proxy},
		{"cmd", d.Cmd}, {"requires", strings.Join(d.requires, ", ")}, {"last_exit", last}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+`="`+quote.Replace(kv[1])+`"`)
		}
	}
	if d.restarts > 0 {
		parts = append(parts, fmt.Sprintf("restarts=%d", d.restarts))
	}
	return strings.Join(parts, " ")
}

// descQuote escapes a value of formatDesc's between its quotes;
// lineQuote one of a desc line's.
var (
	descQuote = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	lineQuote = strings.NewReplacer(`"`, `\"`)
)

// descJSON is a service for `desc --json`.
type descJSON struct {
	Name     string   `json:"name"`
	Tags     []string `json:"tags"`
	Desc     *string  `json:"desc"`
	Proxy    *string  `json:"proxy"`
	Cmd      *string  `json:"cmd"`
	Requires []string `json:"requires"` // null from a cfkd without inspect
	Restarts *int     `json:"restarts"` // null from a cfkd without inspect
	LastExit *string  `json:"last_exit"`
	LastAt   *string  `json:"last_exit_time"`
}

func descJSONOf(d descOf) descJSON {
	tags := d.Tags
	if tags == nil {
		tags = []string{}
	}
	var requires []string
	if d.known {
		requires = append([]string{}, d.requires...)
	}
	j := descJSON{Name: d.Name, Tags: tags, Desc: nonEmpty(d.Desc), Proxy: nonEmpty(d.Proxy), Cmd: nonEmpty(d.Cmd),
		Requires: requires}
	if d.known {
		j.Restarts, j.LastExit, j.LastAt = &d.restarts, nonEmpty(d.lastExit), rfc3339(d.lastExitTime)
	}
	return j
}

// gatherDesc asks `command inspect` of each selector (the desc line and
// requires, REFERENCE §2.8), or `command desc` when cfkd does not know
// inspect, and returns each service once, in cfkd's order.
func gatherDesc(s *session, sels []string) ([]descOf, error) {
	infos, _, err := gatherInfo(s, sels)
	if err == nil {
		out := make([]descOf, 0, len(infos))
		for _, i := range infos {
			out = append(out, descOf{DescLine: i.DescLine(), requires: i.Requires, known: true,
				restarts: i.Restarts, lastExit: i.LastExit, lastExitTime: i.LastExitTime})
		}
		return out, nil
	}
	if !unknownVerb(err, messages.VerbInspect) {
		return nil, err
	}
	var out []descOf
	seen := map[string]bool{}
	for _, sel := range sels {
		req := "command desc " + sel
		lines, err := s.call(req)
		if err != nil {
			return nil, err
		}
		got, err := parseReply(req, lines, messages.ParseDescLine)
		if err != nil {
			return nil, err
		}
		for _, d := range got {
			if !seen[d.Name] {
				seen[d.Name] = true
				out = append(out, descOf{DescLine: d, fromLine: true})
			}
		}
	}
	return out, nil
}

// runDesc is `cfkctl desc [REF...]`.
func runDesc(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	ds, err := gatherDesc(s, sels)
	if err != nil {
		return err
	}
	if s.opts.json {
		out := make([]descJSON, 0, len(ds))
		for _, d := range ds {
			out = append(out, descJSONOf(d))
		}
		return writeJSON(s.env.jsonOut(), out)
	}
	if err := rawDescs(s, sels, ds); err != nil {
		return err
	}
	for _, d := range ds {
		if _, err := fmt.Fprintln(s.env.stdout, s.safeOut(formatDesc(d))); err != nil {
			return err
		}
	}
	return nil
}

// rawDescs puts in ds the desc and cmd of cfkd's desc lines in place of
// inspect's when inspect's hold U+FFFD: JSON cannot carry bytes that are
// not UTF-8 (a Latin-1 desc, a path in cmd), so inspect has U+FFFD for
// them, and the human output would not be the bytes cfkd holds, which its
// desc line has (REFERENCE §8.3). Asked only then: it costs a request per
// selector.
func rawDescs(s *session, sels []string, ds []descOf) error {
	if !slices.ContainsFunc(ds, func(d descOf) bool {
		return d.known && strings.ContainsRune(d.Desc+d.Cmd, utf8.RuneError)
	}) {
		return nil
	}
	raw := map[string]messages.DescLine{}
	for _, sel := range sels {
		req := "command desc " + sel
		lines, err := s.call(req)
		if err != nil {
			return err
		}
		got, err := parseReply(req, lines, messages.ParseDescLine)
		if err != nil {
			return err
		}
		for _, d := range got {
			raw[d.Name] = d
		}
	}
	for k := range ds {
		if r, ok := raw[ds[k].Name]; ok && ds[k].known {
			ds[k].Desc, ds[k].Cmd, ds[k].fromLine = r.Desc, r.Cmd, true
		}
	}
	return nil
}

// runList is `cfkctl list`; --json gives an array of names.
func runList(s *session, _ []string) error {
	lines, err := s.call("command list")
	if err != nil {
		return err
	}
	if s.opts.json {
		if lines == nil {
			lines = []string{}
		}
		return writeJSON(s.env.jsonOut(), lines)
	}
	return printLines(s, lines)
}
