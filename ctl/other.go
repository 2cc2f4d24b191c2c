package ctl

import (
	"errors"
	"fmt"
	"strings"
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
	if !validName(name) {
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
