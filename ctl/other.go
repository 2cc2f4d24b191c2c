package ctl

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
)

// runVersion is `cfkctl version`: cfkd's version.
func runVersion(s *session, _ []string) error { return simple(s, "command version") }

// runProxyUp is `cfkctl proxyup NAME`.
func runProxyUp(s *session, args []string) error { return named(s, "proxyup", "proxy", args[0]) }

// runProxyDown is `cfkctl proxydown NAME`.
func runProxyDown(s *session, args []string) error { return named(s, "proxydown", "proxy", args[0]) }

// runBind is `cfkctl bind SOCKNAME`.
func runBind(s *session, args []string) error { return named(s, "bind", "socket", args[0]) }

// runUnbind is `cfkctl unbind SOCKNAME`.
func runUnbind(s *session, args []string) error { return named(s, "unbind", "socket", args[0]) }

// named sends `command VERB NAME` after checking NAME is one word.
func named(s *session, verb, what, name string) error {
	if !messages.ValidName(name) {
		return badName(what, name)
	}
	return simple(s, "command "+verb+" "+name)
}

// simple sends one request and prints the reply's lines.
func simple(s *session, line string) error {
	lines, err := s.call(line)
	if err != nil {
		return err
	}
	return printLines(s, lines)
}

// runShutdown is `cfkctl shutdown`. cfkd may close the connection instead
// of answering, as it exits: that is success too. Like the service verbs,
// it prints nothing but failures (`done N` is silent).
func runShutdown(s *session, _ []string) error {
	rep, err := s.request("command shutdown")
	var closed *closedError
	if errors.As(err, &closed) {
		return printLines(s, nil)
	}
	if err != nil {
		return err
	}
	if rep.Err != nil {
		return rep.Err
	}
	if s.opts.json {
		return printLines(s, rep.Lines)
	}
	warnFailures(s, rep.Lines)
	return nil
}

// runProxyStatus is `cfkctl proxystatus`: cfkd's `NAME\tup|down\tPID`
// lines as `STATE  NAME  PID`, the state coloured on a terminal.
func runProxyStatus(s *session, _ []string) error {
	lines, err := s.call("command proxystatus")
	if err != nil || s.opts.json {
		if err != nil {
			return err
		}
		return printLines(s, lines)
	}
	color := s.color()
	for _, l := range lines {
		f := tabFields(s.safeOut(l), 3)
		state := fmt.Sprintf("%-6s", f[1])
		if color {
			state = paint(stateColor(f[1]), f[1]) + state[len(f[1]):]
		}
		if _, err := fmt.Fprintln(s.env.stdout, strings.TrimRight(fmt.Sprintf("%s %-20s %s", state, f[0], f[2]), " ")); err != nil {
			return err
		}
	}
	return nil
}

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
	return awaitUpgrade(s, "cfk "+want)
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

// awaitUpgrade waits for the cfkd that serves after the exec of an
// upgrade in place and checks that it is the one announced (want, its
// `command version`): one that answers as another was not upgraded (the
// exec failed, or the new cfkd failed before it took the services over
// and the former one took them over again, REFERENCE §13.4).
func awaitUpgrade(s *session, want string) error {
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
		rep, err := s.request("command version")
		var unreachable *connectError
		switch {
		case errors.As(err, &unreachable):
			return fmt.Errorf("upgrade: cfkd did not answer after the exec (%v): its log says why", unreachable.err)
		case err == nil && rep.Err == nil && len(rep.Lines) == 1 && rep.Lines[0] == want:
			return nil
		case err == nil && rep.Err == nil && len(rep.Lines) == 1:
			if other.IsZero() {
				other = time.Now()
			}
			if time.Since(other) >= upgradeSettle {
				return fmt.Errorf("upgrade: cfkd answers as %s after the upgrade, not as %s: the upgrade did not take "+
					"(the exec failed, or the new cfkd failed before it took the services over and the former one took them over again, "+
					"every service kept): cfkd's log and its events say why", rep.Lines[0], want)
			}
			time.Sleep(100 * time.Millisecond) // the same connection: is it closed by a drain?
			continue
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
