package ctl

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// status is one status line of cfkd (REFERENCE §1.6):
// name, state, pid, start_time, stop_time, proxy, fail_reason, running_cmd,
// tab-separated. Absent fields are empty.
type status struct {
	Name, State, Pid, StartTime, StopTime, Proxy, FailReason, RunningCmd string
}

// parseStatus reads a status line. It is tolerant: missing fields are
// empty, extra ones ignored.
func parseStatus(line string) status {
	f := strings.Split(line, "\t")
	at := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	return status{
		Name: at(0), State: at(1), Pid: at(2), StartTime: at(3), StopTime: at(4),
		Proxy: at(5), FailReason: at(6), RunningCmd: at(7),
	}
}

// tabFields splits one tab-separated line of cfkd into exactly n fields:
// a missing field is empty, and the last one keeps any further tabs.
func tabFields(line string, n int) []string {
	f := strings.SplitN(line, "\t", n)
	for len(f) < n {
		f = append(f, "")
	}
	return f
}

// when is the time status shows: start_time for a running or starting
// service, stop_time otherwise, or whichever is set.
func (st status) when() (time.Time, bool) {
	start, okStart := parseEpoch(st.StartTime)
	stop, okStop := parseEpoch(st.StopTime)
	up := st.State == "running" || st.State == "starting"
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

// format is the human status line:
//
//	STATE    NAME                 N seconds ago (Mon Jan  2 15:04:05 2006) [FAIL REASON]
//
// the columns of the original cfkctl (`%-8s %-20s %15s (%s)`); without a
// time, `STATE    NAME`. The state is coloured when color is set.
func (st status) format(now time.Time, loc *time.Location, color bool) string {
	state := fmt.Sprintf("%-8s", st.State)
	if color {
		state = paint(stateColor(st.State), st.State) + state[len(st.State):]
	}
	var line string
	if t, ok := st.when(); ok {
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

// parseEpoch reads Unix seconds; empty, malformed or non-positive is unset.
func parseEpoch(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

// gatherStatus asks the status of each selector and returns the services
// in the order cfkd gave them, each once.
func gatherStatus(s *session, sels []string) ([]status, error) {
	var out []status
	seen := map[string]bool{}
	for _, sel := range sels {
		lines, err := s.call("command status " + sel)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			st := parseStatus(l)
			if !seen[st.Name] {
				seen[st.Name] = true
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// runStatus is `cfkctl status [REF...]`.
func runStatus(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	sts, err := gatherStatus(s, sels)
	if err != nil {
		return err
	}
	if s.opts.json {
		out := make([]statusJSON, 0, len(sts))
		for _, st := range sts {
			out = append(out, st.json())
		}
		return writeJSON(s.env.stdout, out)
	}
	now, color := s.env.now(), s.color()
	for _, st := range sts {
		fmt.Fprintln(s.env.stdout, st.format(now, s.env.loc, color))
	}
	return nil
}

// runPid is `cfkctl pid NAME`.
func runPid(s *session, args []string) error {
	name := args[0]
	if !isWord(name) {
		return usageErrorf(nil, "invalid service name '%s'", name)
	}
	sts, err := gatherStatus(s, []string{"service " + name})
	if err != nil {
		return err
	}
	for _, st := range sts {
		if st.Name == name && positive(st.Pid) != nil {
			return printLines(s, []string{st.Pid})
		}
	}
	return &userError{msg: name + " is not running"}
}

// statusJSON is a status line for --json.
type statusJSON struct {
	Name       string  `json:"name"`
	State      string  `json:"state"`
	Pid        *int64  `json:"pid"`
	StartTime  *int64  `json:"start_time"`
	StopTime   *int64  `json:"stop_time"`
	Proxy      *string `json:"proxy"`
	FailReason *string `json:"fail_reason"`
	RunningCmd *string `json:"running_cmd"`
}

func (st status) json() statusJSON {
	return statusJSON{
		Name:       st.Name,
		State:      st.State,
		Pid:        positive(st.Pid),
		StartTime:  positive(st.StartTime),
		StopTime:   positive(st.StopTime),
		Proxy:      nonEmpty(st.Proxy),
		FailReason: nonEmpty(st.FailReason),
		RunningCmd: nonEmpty(st.RunningCmd),
	}
}

// positive is s as a number when it is a positive integer, else nil (null).
func positive(s string) *int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	return &n
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
		return writeJSON(s.env.stdout, jsonLines{OK: true, Lines: lines})
	}
	for _, l := range lines {
		if _, err := io.WriteString(s.env.stdout, l+"\n"); err != nil {
			return err
		}
	}
	return nil
}
