package ctl

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
)

// tabFields splits one tab-separated line of cfkd into exactly n fields:
// a missing field is empty, and the last one keeps any further tabs.
func tabFields(line string, n int) []string {
	f := strings.SplitN(line, "\t", n)
	for len(f) < n {
		f = append(f, "")
	}
	return f
}

// parseReply reads the lines cfkd answered to request with the codec
// parse (package messages): a malformed line fails the command.
func parseReply[T any](request string, lines []string, parse func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(lines))
	for _, l := range lines {
		v, err := parse(l)
		if err != nil {
			return nil, fmt.Errorf("cfkd's reply to %q: %w", request, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// shownTime is t when status shows it: set, and after 1970.
func shownTime(t time.Time) (time.Time, bool) {
	return t, !t.IsZero() && t.Unix() > 0
}

// statusWhen is the time status shows: start_time for a running or
// starting service, stop_time otherwise, or whichever is set.
func statusWhen(st messages.StatusLine) (time.Time, bool) {
	start, okStart := shownTime(st.StartTime)
	stop, okStop := shownTime(st.StopTime)
	up := st.State == messages.Running || st.State == messages.Starting
	switch {
	case up && okStart:
		return start, true
	case !up && okStop:
		return stop, true
	case okStart:
		return start, true
	case okStop:
		return stop, true
	}
	return time.Time{}, false
}

// formatStatus is the human status line:
//
//	STATE    NAME                 N seconds ago (Mon Jan  2 15:04:05 2006) [FAIL REASON]
//
// the columns of the original cfkctl (`%-8s %-20s %15s (%s)`); without a
// time, `STATE    NAME`. The state is coloured when color is set.
func formatStatus(st messages.StatusLine, now time.Time, loc *time.Location, color bool) string {
	name := st.State.String()
	state := fmt.Sprintf("%-8s", name)
	if color {
		state = paint(stateColor(name), name) + state[len(name):]
	}
	var line string
	if t, ok := statusWhen(st); ok {
		line = fmt.Sprintf("%s %-20s %15s (%s)", state, st.Name, relTime(now.Sub(t)), t.In(loc).Format(time.ANSIC))
	} else {
		line = state + " " + st.Name
	}
	if st.FailReason != "" {
		line += " [" + st.FailReason + "]"
	}
	return line
}

// relTime says how long ago: "1 second ago", "N seconds ago" under a
// minute, minutes under an hour, hours under two days, then days. A time in
// the future (clock skew with a remote cfkd) counts as now.
func relTime(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 0:
		s = 0
		fallthrough
	case s < 60:
		return plural(s, "second")
	case s < 3600:
		return plural(s/60, "minute")
	case s < 48*3600:
		return plural(s/3600, "hour")
	}
	return plural(s/(24*3600), "day")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit + " ago"
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s ago"
}

// gatherStatus asks the status of each selector and returns the services
// in the order cfkd gave them, each once.
func gatherStatus(s *session, sels []string) ([]messages.StatusLine, error) {
	var out []messages.StatusLine
	seen := map[string]bool{}
	for _, sel := range sels {
		req := "command status " + sel
		lines, err := s.call(req)
		if err != nil {
			return nil, err
		}
		sts, err := parseReply(req, lines, messages.ParseStatusLine)
		if err != nil {
			return nil, err
		}
		for _, st := range sts {
			if !seen[st.Name] {
				seen[st.Name] = true
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// runStatus is `cfkctl status [REF...]`. With --json it asks `command
// inspect` (see statusJSONs).
func runStatus(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	if s.opts.json {
		out, err := statusJSONs(s, sels)
		if err != nil {
			return err
		}
		return writeJSON(s.env.jsonOut(), out)
	}
	sts, err := gatherStatus(s, sels)
	if err != nil {
		return err
	}
	why := lastErrors(s, sels, sts)
	now, color := s.env.now(), s.color()
	for _, st := range sts {
		if st.FailReason == "" {
			st.FailReason = why[st.Name] // backoff, fatal: why its start failed
		}
		st.Name, st.FailReason = s.safeOut(st.Name), s.safeOut(st.FailReason)
		if _, err := fmt.Fprintln(s.env.stdout, formatStatus(st, now, s.env.loc, color)); err != nil {
			return err // a full disk, a closed stdout: not a success (REFERENCE §8.3)
		}
	}
	return nil
}

// lastErrors says why the services of sts in backoff or fatal failed to
// start (inspect's last_error: the status line's fail_reason is only for
// fail), or, for one in backoff after crashes of its running process
// (no failed start), how it last ended: `crashed: exit 3` (REFERENCE
// §1.6); asking inspect only when there is one; none from a cfkd without
// inspect.
func lastErrors(s *session, sels []string, sts []messages.StatusLine) map[string]string {
	if !slices.ContainsFunc(sts, func(st messages.StatusLine) bool {
		return st.State == messages.Backoff || st.State == messages.Fatal
	}) {
		return nil
	}
	infos, _, err := gatherInfo(s, sels)
	if err != nil {
		return nil
	}
	why := map[string]string{}
	for _, i := range infos {
		switch {
		case i.LastError != "" && (i.State == messages.Backoff || i.State == messages.Fatal):
			why[i.Name] = i.LastError
		case i.State == messages.Backoff && i.Crashes > 0 && i.LastExit != "":
			why[i.Name] = "crashed: " + i.LastExit
		}
	}
	return why
}

// runPid is `cfkctl pid NAME`.
func runPid(s *session, args []string) error {
	name := args[0]
	if !validName(name) {
		return badName("service", name)
	}
	sts, err := gatherStatus(s, []string{"service " + name})
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.Name == name && st.Pid > 0 {
			return printLines(s, []string{strconv.Itoa(st.Pid)})
		}
	}
	return &userError{msg: name + " is not running"}
}

// positive is n as a JSON number when it is positive, else nil (null).
func positive(n int64) *int64 {
	if n <= 0 {
		return nil
	}
	return &n
}

// epochJSON is a time as Unix seconds, nil (null) when status would not
// show it.
func epochJSON(t time.Time) *int64 {
	if t, ok := shownTime(t); ok {
		return positive(t.Unix())
	}
	return nil
}

// nonEmpty is s, or nil (null) when empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ANSI colours of states.
const (
	ansiReset  = "\x1b[0m"
	ansiGreen  = "\x1b[1;32m"
	ansiYellow = "\x1b[1;33m"
	ansiRed    = "\x1b[1;31m"
)

// stateColor: running green, starting and stopping yellow, fail, fatal and
// backoff red, the rest (stopped) the terminal's own.
func stateColor(state string) string {
	switch state {
	case "running", "up":
		return ansiGreen
	case "starting", "stopping":
		return ansiYellow
	case "fail", "fatal", "backoff", "down":
		return ansiRed
	}
	return ""
}

// paint wraps s in the colour, if any.
func paint(color, s string) string {
	if color == "" {
		return s
	}
	return color + s + ansiReset
}

// color reports whether to colour human output: stdout is a terminal, no
// --json, and NO_COLOR is unset or empty (https://no-color.org).
func (s *session) color() bool {
	return !s.opts.json && s.env.getenv("NO_COLOR") == "" && s.env.isTerminal != nil && s.env.isTerminal(s.env.stdout)
}

// printLines prints lines as they are, or with --json as
// {"ok":true,"lines":[...]}.
func printLines(s *session, lines []string) error {
	if s.opts.json {
		if lines == nil {
			lines = []string{}
		}
		return writeJSON(s.env.jsonOut(), jsonLines{OK: true, Lines: lines})
	}
	for _, l := range lines {
		if _, err := io.WriteString(s.env.stdout, s.safeOut(l)+"\n"); err != nil {
			return err
		}
	}
	return nil
}
