package ctl

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// runApply is `cfkctl apply FILE|- [--dry-run] [--prune] [--rolling]`
// (REFERENCE §8.2): the text of FILE, ${BASE} replaced, goes to cfkd in one
// `command apply` request (REFERENCE §1.4), which cfkd plans and applies as
// one unit; the plan it answers is printed, and the services it could not
// destroy or restart are printed on stderr (exit status 1).
func runApply(s *session, args []string) error {
	file := args[0]
	text, err := applyText(s, file)
	if err != nil {
		return err
	}
	for i, line := range strings.Split(text, "\n") {
		warnAttributeInValue(s, file, i+1, line)
	}
	req := "command apply "
	for _, o := range []struct {
		on   bool
		word string
	}{{s.opts.dryRun, messages.ApplyDryRun}, {s.opts.prune, messages.ApplyPrune}, {s.opts.rolling, messages.ApplyRolling}} {
		if o.on {
			req += o.word + " "
		}
	}
	req += messages.EncodeApplyData(text)
	if len(req) > protocol.MaxLine {
		return &userError{msg: fmt.Sprintf("%s: too large to apply: %d bytes once compressed, a request holds %d",
			file, len(req), protocol.MaxLine)}
	}
	rep, err := requestApply(s, req)
	if err != nil {
		return err
	}
	if rep.Err != nil {
		if m := lineError.FindStringSubmatch(rep.Err.Error()); m != nil {
			if all := applyFileErrors(file, text, rep.Err.Error()); all != nil {
				return all
			}
			return &userError{msg: fmt.Sprintf("%s:%s: %s", file, m[1], m[2])}
		}
		if e := applyCycleLine(file, text, rep.Err.Error()); e != nil {
			return e
		}
		if h := dryRunEnvHint(s, req, rep.Err); h != "" && s.hint == "" {
			s.hint = h
		}
		return rep.Err
	}
	items, failures, notes, err := readApplyReply(rep.Lines)
	if err != nil {
		return err
	}
	var plan []messages.Change
	lines := make([]string, 0, len(items))
	changes := make([]changeJSON, 0, len(items))
	for _, it := range items {
		lines = append(lines, it.line())
		if !it.unread {
			plan = append(plan, it.c)
			changes = append(changes, changeJSONOf(it))
		}
	}
	if s.opts.json {
		if failures == nil {
			failures = []string{}
		}
		if err := writeJSON(s.env.jsonOut(), applyJSON{OK: len(failures) == 0, DryRun: s.opts.dryRun,
			Changes: changes, Failures: failures, Notes: notes}); err != nil {
			return err
		}
		// what the plan shows but an apply keeps is said to the user
		// who reads --json's stderr too; the plan itself holds it for
		// a script (REFERENCE §8.3)
		applyNotes(s, plan)
	} else {
		if len(lines) == 0 {
			lines = []string{messages.NoChanges}
		}
		if err := printLines(s, lines); err != nil {
			return err
		}
		applyNotes(s, plan)
		for _, n := range notes {
			fmt.Fprintln(s.env.stderr, "note: "+s.env.safeErr(n))
		}
		for _, f := range failures {
			fmt.Fprintln(s.env.stderr, s.env.safeErr(f))
		}
	}
	if len(failures) > 0 {
		return &silentError{}
	}
	return nil
}

// lineError is how cfkd names the line of the text it refuses.
var lineError = regexp.MustCompile(`^line (\d+): (.*)$`)

// applyText reads FILE (or standard input for -) as a config file is read
// (protocol.ReadRequest: LF or CRLF, 64 KiB a line) and replaces ${BASE}.
// Blank and comment lines are sent empty, so that cfkd's line numbers are
// the file's.
func applyText(s *session, file string) (string, error) {
	var in io.Reader = s.env.stdin
	if file != "-" {
		f, err := openConfig("apply", file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		in = f
	}
	base, err := s.applyBase(file)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	r := protocol.NewFileReader(in)
	for lineno := 1; ; lineno++ {
		line, err := protocol.ReadRequest(r)
		if err == io.EOF {
			return b.String(), nil
		}
		if errors.Is(err, protocol.ErrLineTooLong) {
			return "", &userError{msg: fmt.Sprintf("%s:%d: %v", file, lineno, err)}
		}
		if err != nil {
			return "", readError("apply", file, err)
		}
		line = strings.TrimSuffix(line, "\r")
		if messages.IsBlank(line) {
			line = ""
		}
		b.WriteString(strings.ReplaceAll(line, "${BASE}", base))
		b.WriteByte('\n')
	}
}

// applyBase is what ${BASE} stands for in apply: --basedir (made
// absolute), else the directory of FILE made absolute (cfkd -c takes the
// file's directory too, so that `cfkd -c FILE` then `cfkctl apply FILE`
// find nothing to change), else for standard input the current directory.
func (s *session) applyBase(file string) (string, error) {
	if s.opts.basedir != "" || file == "-" {
		return s.basedir()
	}
	dir := filepath.Dir(file)
	if filepath.IsAbs(dir) {
		return dir, nil
	}
	wd, err := s.env.getwd()
	if err != nil {
		return "", fmt.Errorf("apply: current directory for ${BASE}: %w", err)
	}
	return filepath.Join(wd, dir), nil
}

// applyRetry is how long cfkctl apply waits before it asks again while
// cfkd refuses it because another apply is under way: a second more each
// time, up to applyRetryMax (a client that waits minutes asks a few
// dozen times, each an audit record).
const (
	applyRetry    = time.Second
	applyRetryMax = 5 * time.Second
)

// requestApply sends an apply, and sends it again while cfkd refuses it
// because another apply is under way (REFERENCE §8.2), until --timeout
// has passed since the first (none: for ever); the refusal is said on
// stderr, again whenever it changes (how far the other one got). A dry
// run is never refused so. A connection that cfkd closed between two
// tries (idle longer than its --idle-timeout, REFERENCE §5.4) is opened
// again (and authenticated again) for the next: cfkd read nothing of it
// since its refusal, so nothing was applied; a try sent is never sent
// again on another connection (cfkd may have read it).
func requestApply(s *session, req string) (messages.Reply, error) {
	start, said, wait := time.Now(), "", applyRetry
	for {
		rep, err := s.request(req)
		if err != nil || rep.Err == nil || !strings.HasPrefix(rep.Err.Error(), messages.ApplyUnderWay+" (") {
			return rep, err
		}
		sleep := wait
		if s.opts.timeout > 0 {
			left := s.opts.timeout - time.Since(start)
			if left <= 0 {
				return rep, nil
			}
			sleep = min(sleep, left) // the last try at the --timeout
		}
		if why := rep.Err.Error(); why != said {
			said = why
			fmt.Fprintf(s.env.stderr, "cfkctl: %s; waiting (see --timeout)\n", s.env.safeErr(why))
		}
		time.Sleep(sleep)
		wait = min(wait+applyRetry, applyRetryMax)
		s.dropIfClosed()
	}
}

// planItem is a plan line as cfkctl read it (REFERENCE §1.6): a Change
// that ParseChange read; or of a later cfkd's line, one with a tail
// cfkctl does not know, the head that ParseChangeHead read, with text the
// line to show as is; or, unread, a line of which cfkctl cannot read even
// that, only shown (and said in a note).
type planItem struct {
	c      messages.Change
	text   string
	unread bool
}

// line is what cfkctl prints of the item.
func (it planItem) line() string {
	if it.text != "" {
		return it.text
	}
	return it.c.Format()
}

// unreadNote is the note on a plan line cfkctl cannot read.
const unreadNote = "a plan line this cfkctl cannot read (a newer cfkd's?), shown as is: "

// readApplyReply splits cfkd's reply: the plan lines (or `no changes`),
// then `NAME: MESSAGE` for each service that could not be destroyed or
// restarted; the note lines (`# ...`: a dry run's while an apply is
// under way) may come anywhere. A plan line that ParseChange refuses is
// a later cfkd's: kept with the head ParseChangeHead reads of it, or,
// when it reads none, kept as unread with a note; neither fails the
// command (REFERENCE §1.6).
func readApplyReply(lines []string) (plan []planItem, failures, notes []string, err error) {
	for i, l := range lines {
		if l == messages.NoChanges && i == 0 {
			continue
		}
		if n, ok := strings.CutPrefix(l, messages.PlanNote); ok {
			notes = append(notes, n)
			continue
		}
		c, perr := messages.ParseChange(l)
		if perr != nil {
			if !strings.HasPrefix(l, "+ ") && !strings.HasPrefix(l, "~ ") && !strings.HasPrefix(l, "- ") {
				failures = append(failures, l)
				continue
			}
			if c, herr := messages.ParseChangeHead(l); herr == nil {
				plan = append(plan, planItem{c: c, text: l})
			} else {
				plan = append(plan, planItem{text: l, unread: true})
				notes = append(notes, unreadNote+l)
			}
			continue
		}
		if failures != nil {
			return nil, nil, nil, replyError(fmt.Errorf("plan line %q after the failures", l))
		}
		plan = append(plan, planItem{c: c})
	}
	return plan, failures, notes, nil
}

// replyError is a reply that cfkctl cannot read (the request is named
// without its DATA).
func replyError(err error) error { return fmt.Errorf("cfkd's reply to \"command apply\": %w", err) }

// applyNotes says on stderr what the plan shows but an apply keeps.
func applyNotes(s *session, plan []messages.Change) {
	var services, others bool
	var sockets, proxies []string
	for _, c := range plan {
		if c.Op == messages.OpChange && c.Kind == messages.KindSocket {
			sockets = append(sockets, c.Name)
		}
		if c.Op == messages.OpChange && c.Kind == messages.KindProxy {
			proxies = append(proxies, c.Name)
		}
		if c.Op == messages.OpRemove {
			if c.Kind == messages.KindService {
				services = true
			} else {
				others = true
			}
		}
	}
	if services && !s.opts.prune {
		fmt.Fprintln(s.env.stderr, "note: the services marked - are kept (--prune destroys them)")
	}
	if others {
		fmt.Fprintln(s.env.stderr, "note: the sockets and proxies marked - are kept (cfkd cannot forget them)")
	}
	// bind, unbind and proxydown take one name: with several, the note
	// names them apart from the command, which it gives for one
	if len(sockets) > 0 {
		// a bound socket goes on as it was bound, and nothing shows its
		// new declaration until then (REFERENCE §1.4)
		how := "cfkctl unbind " + sockets[0] + ", then bind"
		if len(sockets) > 1 {
			how = "cfkctl unbind NAME, then bind NAME, for each of " + strings.Join(sockets, " ")
		}
		fmt.Fprintf(s.env.stderr, "note: a socket marked ~ that is bound keeps its address until it is bound again (%s)\n", how)
	}
	if len(proxies) > 0 {
		// a proxy's process goes on as it was launched, and so do the
		// services it runs (REFERENCE §1.4)
		how := "cfkctl proxydown " + proxies[0] + " stops it and its services"
		if len(proxies) > 1 {
			how = "cfkctl proxydown NAME stops it and its services, for each of " + strings.Join(proxies, " ")
		}
		fmt.Fprintf(s.env.stderr, "note: a proxy marked ~ that runs keeps its former declaration until it runs again (%s)\n", how)
	}
}

// applyJSON is the --json output of apply.
type applyJSON struct {
	OK       bool         `json:"ok"`
	DryRun   bool         `json:"dry_run"`
	Changes  []changeJSON `json:"changes"`
	Failures []string     `json:"failures"`
	// Notes: a dry run's while an apply is under way (REFERENCE §1.4),
	// absent otherwise
	Notes []string `json:"notes,omitempty"`
}

type changeJSON struct {
	Op    string   `json:"op"`
	Kind  string   `json:"kind"`
	Name  string   `json:"name"`
	Attrs []string `json:"attrs"`
	// RunningFormer: a service, or a proxy, that runs a former
	// declaration (REFERENCE §1.6), absent otherwise
	RunningFormer bool `json:"running_former,omitempty"`
	// BoundFormer: a bound socket whose bind was of a former declaration
	// (REFERENCE §1.6), absent otherwise
	BoundFormer bool `json:"bound_former,omitempty"`
	// InPlace: a service whose changes take effect without a restart
	// (REFERENCE §1.6): the apply restarts nothing for it; absent
	// otherwise
	InPlace bool `json:"in_place,omitempty"`
	// Line: a later cfkd's line, as it wrote it, of which cfkctl read
	// the head only (op, kind, name; attrs empty), absent otherwise
	Line string `json:"line,omitempty"`
}

func changeJSONOf(it planItem) changeJSON {
	c := it.c
	attrs := c.Attrs
	if attrs == nil {
		attrs = []string{}
	}
	j := changeJSON{Op: string(rune(c.Op)), Kind: string(c.Kind), Name: c.Name, Attrs: attrs, InPlace: c.InPlace, Line: it.text}
	if c.Kind == messages.KindSocket {
		j.BoundFormer = c.Former
	} else {
		j.RunningFormer = c.Former
	}
	return j
}

// afterJSON is what a command returns once it wrote its JSON value: err
// said on stderr only, exit status 1 (stdout holds exactly one JSON value,
// REFERENCE §8.3).
func afterJSON(s *session, err error) error {
	if err == nil {
		return nil
	}
	fmt.Fprintln(s.env.stderr, s.env.errText(err))
	return &silentError{}
}

// silentError: the command has printed why it fails; exit status 1 and
// nothing more.
type silentError struct{}

func (*silentError) Error() string { return "" }

// dryRunEnvHint is the line cfkctl adds to cfkd's `not authorized` for a
// dry run whose file declares add_env: a dry run needs read, but one
// that declares add_env needs admin (its plan would tell whether each
// value is the one in force, REFERENCE §1.4), which the original's text
// does not say. "" otherwise.
func dryRunEnvHint(s *session, req string, err error) string {
	if !s.opts.dryRun || err.Error() != messages.ErrNotAuthorized.Error() {
		return ""
	}
	st, perr := messages.Parse(req) // as cfkd read it: it answered past the parse
	if a, ok := st.(messages.Apply); perr != nil || !ok || !a.Want.HasEnv() {
		return ""
	}
	return "cfkctl: a dry run of a file that declares add_env needs admin, where one without needs read: " +
		"its plan would tell whether each value is the one in force"
}
