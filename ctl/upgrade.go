package ctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
)

// runUpgrade is `cfkctl upgrade [--binary PATH]` (REFERENCE §13).
func runUpgrade(s *session, _ []string) error {
	line := "command upgrade"
	if b := s.opts.binary; b != "" {
		abs, err := filepath.Abs(b)
		if err != nil {
			return usageErrorf(nil, "--binary %s: %v", b, err)
		}
		if strings.ContainsAny(abs, " \t\r\n") {
			return usageErrorf(nil, "--binary %s: a path with blanks cannot be sent", abs)
		}
		line += " " + abs
	}
	// how many execs in place cfkd went through: the cfkd that serves
	// after this one's has one more (-1: a cfkd that does not say)
	before := -1
	if rep, err := s.request("command " + string(messages.VerbUpgraded)); err != nil {
		return err
	} else if u, ok := parseUpgraded(rep); ok {
		before = u.execs
	}
	lines, err := s.call(line)
	if err != nil {
		return err
	}
	if err := printLines(s, lines); err != nil {
		return err
	}
	if len(lines) != 1 {
		return nil
	}
	want, ok := strings.CutPrefix(lines[0], "upgrading to cfkd ")
	if !ok {
		return nil // a cfkd that says otherwise: nothing to wait for
	}
	return awaitUpgrade(s, "cfk "+want, before)
}

// upgraded is the answer to `command upgraded` (REFERENCE §13.4).
type upgraded struct {
	execs      int
	kind, text string
	at         time.Time
}

// parseUpgraded reads the answer to `command upgraded`: EXECS KIND TIME
// TEXT, tab-separated; false for an ERROR (a cfkd that does not know it)
// or another answer.
func parseUpgraded(rep messages.Reply) (upgraded, bool) {
	if rep.Err != nil || len(rep.Lines) != 1 {
		return upgraded{}, false
	}
	f := strings.SplitN(rep.Lines[0], "\t", 4)
	if len(f) != 4 {
		return upgraded{}, false
	}
	n, err1 := strconv.Atoi(f[0])
	t, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return upgraded{}, false
	}
	u := upgraded{execs: n, kind: f[1], text: f[3]}
	if t > 0 {
		u.at = time.Unix(t, 0)
	}
	return u, true
}

// upgradeWait bounds the wait for the cfkd that answers after the exec
// when --timeout is 0 (none); upgradeSettle is how long a connection
// that answers as another cfkd than the one announced must stay open to
// be taken for the cfkd that serves on: the old cfkd, which may answer a
// connection it accepted just before it drains its console, closes it
// within 5 s (REFERENCE §13.3), the exec at the latest.
const (
	upgradeWait   = time.Minute
	upgradeSettle = 6 * time.Second
)

// An answer of the cfkd after the exec says one of these.
type upgradeVerdict int

const (
	verdictAgain      upgradeVerdict = iota // no answer: ask again, on a new connection
	verdictTook                             // the cfkd exec'd serves
	verdictRolledBack                       // the cfkd exec'd failed and was rolled back
	verdictBefore                           // the cfkd that answered before the exec (or another)
)

// askAfterUpgrade asks the cfkd on s what it is after the exec: with
// before (its count of execs in place before it, REFERENCE §13.4) by
// `command upgraded`, whatever the versions; else, or from a cfkd that
// does not know it, by `command version` against want, the one announced.
// said is what cfkd said of a rollback or a failed exec.
func askAfterUpgrade(s *session, want string, before int) (v upgradeVerdict, said string, rep messages.Reply, err error) {
	if before >= 0 {
		rep, err = s.request("command " + string(messages.VerbUpgraded))
		if err != nil {
			return verdictAgain, "", rep, err
		}
		if u, ok := parseUpgraded(rep); ok {
			switch {
			case u.execs > before && u.kind == "upgraded":
				return verdictTook, "", rep, nil
			case u.execs > before && u.kind == "rolled-back":
				return verdictRolledBack, u.text, rep, nil
			case u.kind == "exec-failed":
				return verdictBefore, u.text, rep, nil
			}
			return verdictBefore, "", rep, nil
		}
		if rep.Err == nil || !strings.Contains(rep.Err.Error(), messages.ErrUnknownCommand.Error()) {
			return verdictAgain, "", rep, nil // a request the drain refused
		}
		// a cfkd that does not know it: not the one before, which did
	}
	rep, err = s.request("command version")
	switch {
	case err != nil || rep.Err != nil || len(rep.Lines) != 1:
		return verdictAgain, "", rep, err
	case rep.Lines[0] == want:
		return verdictTook, "", rep, nil
	}
	return verdictBefore, "", rep, nil
}

// awaitUpgrade waits for the cfkd that serves after the exec of an
// upgrade in place and checks that it is the one exec'd (askAfterUpgrade):
// one rolled back, or the one that answered before, was not upgraded
// (the exec failed, or the new cfkd failed and the former one took the
// services over again, REFERENCE §13.4).
func awaitUpgrade(s *session, want string, before int) error {
	limit := s.opts.timeout
	if limit <= 0 {
		limit = upgradeWait
	}
	end := time.Now().Add(limit)
	if s.conn != nil { // the old cfkd's, closed by its drain
		s.conn.Close()
		s.conn = nil
	}
	var other time.Time // when this connection first answered as another cfkd
	for {
		v, said, rep, err := askAfterUpgrade(s, want, before)
		var unreachable *connectError
		switch {
		case errors.As(err, &unreachable):
			return fmt.Errorf("upgrade: cfkd did not answer after the exec (%v): its log says why", unreachable.err)
		case v == verdictTook:
			return nil
		case v == verdictRolledBack:
			return fmt.Errorf("upgrade: %s", said)
		case v == verdictBefore:
			if other.IsZero() {
				other = time.Now()
			}
			if time.Since(other) < upgradeSettle {
				time.Sleep(100 * time.Millisecond) // the same connection: is it closed by a drain?
				continue
			}
			if said != "" {
				return fmt.Errorf("upgrade: the upgrade did not take: %s", said)
			}
			if before < 0 || len(rep.Lines) == 1 && strings.HasPrefix(rep.Lines[0], "cfk ") {
				return fmt.Errorf("upgrade: cfkd answers as %s after the upgrade, not as %s: the upgrade did not take "+
					"(the exec failed, or the new cfkd failed before it took the services over and the former one took them over again, "+
					"every service kept): cfkd's log and its events say why", rep.Lines[0], want)
			}
			return fmt.Errorf("upgrade: cfkd answers as the cfkd before the upgrade, not as %s: the upgrade did not take: "+
				"cfkd's log and its events say why", want)
		}
		// a connection the drain closed, a request it refused: again
		if s.conn != nil {
			s.conn.Close()
			s.conn = nil
		}
		other = time.Time{}
		if time.Now().After(end) {
			if err == nil {
				err = rep.Err
			}
			return fmt.Errorf("upgrade: cfkd did not answer after the exec within %v: %v", limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runUpgraded is `cfkctl upgraded`: what the last upgrade in place did.
func runUpgraded(s *session, _ []string) error {
	rep, err := s.request("command " + string(messages.VerbUpgraded))
	if err != nil {
		return err
	}
	if rep.Err != nil || s.opts.json {
		if rep.Err != nil {
			return rep.Err
		}
		return printLines(s, rep.Lines)
	}
	u, ok := parseUpgraded(rep)
	switch {
	case !ok:
		return printLines(s, rep.Lines)
	case u.kind == "none":
		return printLines(s, []string{"no upgrade in place since cfkd started"})
	}
	return printLines(s, []string{u.at.Format("2006-01-02 15:04:05") + ": " + u.text})
}
