package messages

import (
	"strings"
	"time"
)

// StatusLine is one line of `command status` (REFERENCE §1.6, compat),
// eight tab-separated fields, the empty string for an absent one:
//
//	name  state  pid  start_time  stop_time  proxy  fail_reason  running_cmd
//
// Times are Unix seconds; the proxy column is the proxy's name, suffixed
// `!` when it does not run. See line.go for what Format does with tabs and
// line breaks.
type StatusLine struct {
	Name       string
	State      State
	Pid        int       // 0: no process
	StartTime  time.Time // zero: unset
	StopTime   time.Time // zero: unset
	Proxy      string    // the proxy's name; "" for a direct service
	ProxyDown  bool      // the proxy does not run (written `NAME!`); only with Proxy
	FailReason string
	RunningCmd string // the only field that may hold tabs
}

// statusFields is the number of fields of a status line.
const statusFields = 8

// Format writes the line. The times lose their fraction of a second; TAB,
// CR and LF become spaces (tabs are kept in RunningCmd, the last field).
func (l StatusLine) Format() string {
	return strings.Join([]string{
		field(l.Name), l.State.String(), formatPid(l.Pid), formatEpoch(l.StartTime), formatEpoch(l.StopTime),
		field(l.ProxyColumn()), field(l.FailReason), lastField(l.RunningCmd),
	}, "\t")
}

// ProxyColumn is the proxy field as written: the name, suffixed `!` when
// the proxy does not run; "" without a proxy.
func (l StatusLine) ProxyColumn() string {
	if l.Proxy != "" && l.ProxyDown {
		return l.Proxy + "!"
	}
	return l.Proxy
}

// ParseStatusLine reads a status line: exactly eight fields (RunningCmd,
// the last one, gets the rest of the line), a known state, numbers where
// numbers go, and a valid value (see Validate).
func ParseStatusLine(line string) (StatusLine, error) {
	const kind = "status"
	f, err := splitFields(kind, line, statusFields)
	if err != nil {
		return StatusLine{}, err
	}
	state, ok := ParseState(f[1])
	if !ok {
		return StatusLine{}, lineErr(kind, "unknown state %q", f[1])
	}
	l := StatusLine{Name: f[0], State: state, FailReason: f[6], RunningCmd: f[7]}
	if l.Pid, err = parsePid(kind, "pid", f[2]); err != nil {
		return StatusLine{}, err
	}
	if l.StartTime, err = parseEpoch(kind, "start_time", f[3]); err != nil {
		return StatusLine{}, err
	}
	if l.StopTime, err = parseEpoch(kind, "stop_time", f[4]); err != nil {
		return StatusLine{}, err
	}
	l.Proxy, l.ProxyDown = strings.CutSuffix(f[5], "!")
	if err := l.Validate(); err != nil {
		return StatusLine{}, err
	}
	return l, nil
}

// Validate reports what keeps l from being written and read back as it
// is: a name that is not one word, an unknown state, a negative pid, a
// time that is not whole seconds from 1970 on, a proxy that is not one
// word (or ends with `!`), ProxyDown without a proxy, a line break or a
// tab in FailReason, a line break in RunningCmd.
func (l StatusLine) Validate() error {
	const kind = "status"
	if err := checkWord(kind, "name", l.Name, ""); err != nil {
		return err
	}
	if l.State.String() == "unknown" {
		return lineErr(kind, "unknown state %d", int(l.State))
	}
	if l.Pid < 0 || l.Pid > maxPid {
		return lineErr(kind, "pid %d out of range", l.Pid)
	}
	if err := checkEpoch(kind, "start_time", l.StartTime); err != nil {
		return err
	}
	if err := checkEpoch(kind, "stop_time", l.StopTime); err != nil {
		return err
	}
	if l.Proxy != "" || l.ProxyDown {
		if err := checkWord(kind, "proxy", l.Proxy, ""); err != nil {
			return err
		}
		if strings.HasSuffix(l.Proxy, "!") {
			return lineErr(kind, "invalid proxy %q", l.Proxy)
		}
	}
	if err := checkText(kind, "fail_reason", l.FailReason, false); err != nil {
		return err
	}
	return checkText(kind, "running_cmd", l.RunningCmd, true)
}
