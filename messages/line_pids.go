package messages

import "strings"

// PidsLine is one line of `command pids` (REFERENCE §1.4, compat):
//
//	NAME: PID                 a direct service
//	NAME: PROXYPID, PID       a service run by a proxy that runs
//
// a pid being empty when there is no process (`web1: `, `w1: 100, `).
// cfkd writes a proxied service whose proxy does not run as a direct one
// (`w1: `), as the original did; `w1: , ` (an older cfkd's) is still read.
type PidsLine struct {
	Name     string
	Pid      int  // 0: no process
	Proxied  bool // run by a proxy: the line shows the proxy's pid first
	ProxyPid int  // 0: the proxy does not run; only when Proxied
}

// Format writes the line. A name is written as it is: see Validate.
func (l PidsLine) Format() string {
	if l.Proxied {
		return l.Name + ": " + formatPid(l.ProxyPid) + ", " + formatPid(l.Pid)
	}
	return l.Name + ": " + formatPid(l.Pid)
}

// ParsePidsLine reads a pids line: the name up to the first ": ", then one
// pid, or two separated by ", ", each empty or a positive integer.
func ParsePidsLine(line string) (PidsLine, error) {
	const kind = "pids"
	name, rest, ok := strings.Cut(line, ": ")
	if !ok {
		return PidsLine{}, lineErr(kind, `want "NAME: PID", got %q`, line)
	}
	l := PidsLine{Name: name}
	pid := rest
	var err error
	if proxyPid, own, two := strings.Cut(rest, ", "); two {
		l.Proxied, pid = true, own
		if l.ProxyPid, err = parsePid(kind, "proxy pid", proxyPid); err != nil {
			return PidsLine{}, err
		}
	}
	if l.Pid, err = parsePid(kind, "pid", pid); err != nil {
		return PidsLine{}, err
	}
	if err := l.Validate(); err != nil {
		return PidsLine{}, err
	}
	return l, nil
}

// Validate reports what keeps l from being written and read back as it
// is: a name that is not one word or holds a `:`, a negative pid, a proxy
// pid without Proxied.
func (l PidsLine) Validate() error {
	const kind = "pids"
	if err := checkWord(kind, "name", l.Name, ":"); err != nil {
		return err
	}
	if l.Pid < 0 || l.Pid > maxPid || l.ProxyPid < 0 || l.ProxyPid > maxPid {
		return lineErr(kind, "pid out of range")
	}
	if l.ProxyPid != 0 && !l.Proxied {
		return lineErr(kind, "a proxy pid without Proxied")
	}
	return nil
}
