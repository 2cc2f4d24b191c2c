package proxywire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The statuses a proxy reports (REFERENCE §4.3).
const (
	StatusStarted = "started"
	StatusStopped = "stopped"
)

// Status is one line a proxy reports to cfkd.
type Status struct {
	Status string // StatusStarted or StatusStopped
	Name   string
	Pid    int
	// ExitStatus is the raw wait(2) status (stopped only).
	ExitStatus int
	// NonInteger (stopped only): an exit_status that is no integer an
	// int holds, as sent (compacted): a number (1.5, 1e30, 2^63), a
	// string but one of decimal digits an int holds ("abc", "-5"; "256"
	// is 256), any other JSON value (true); "null" when absent or null.
	// ExitStatus is then 0. No end, as NoEnd says, and taken all the
	// same: the proxy says the process ended.
	NonInteger string
}

// EncodeStatus returns the status line for s, with its "\n":
// {"status":"started","name":N,"pid":P} or
// {"status":"stopped","name":N,"pid":P,"exit_status":W}. (The original
// proxy also sent "exit_status":null with started, in Perl's hash order;
// cfkd decodes the JSON, so neither matters to it.) HTML characters are
// not escaped, as Perl's JSON::XS does not. It writes what it is given:
// ParseStatus checks.
func EncodeStatus(s Status) []byte {
	var b bytes.Buffer
	b.WriteString(`{"status":`)
	writeJSON(&b, s.Status)
	b.WriteString(`,"name":`)
	writeJSON(&b, s.Name)
	b.WriteString(`,"pid":`)
	b.WriteString(strconv.Itoa(s.Pid))
	if s.Status == StatusStopped {
		b.WriteString(`,"exit_status":`)
		if s.NonInteger != "" {
			b.WriteString(s.NonInteger)
		} else {
			b.WriteString(strconv.Itoa(s.ExitStatus))
		}
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// ParseStatus decodes a status line (without or with its "\n"), for cfkd:
// a JSON object whose keys are matched exactly (unknown ones ignored), a
// status started or stopped, a name that is not empty, a pid that is a
// process id (an integer from 1 to MaxInt32: cfkd signals it, and kill(2)
// with 0 or a pid that wraps to a negative one signals whole groups), and
// for stopped an exit_status: an integer or a string of decimal digits,
// else kept as sent (NonInteger: another number, another string, null,
// absent), the line taken all the same (NoEnd). The pid may also be a JSON string of
// decimal digits ("123"): the original Perl proxy sent its early-exit
// stopped lines with the pid a hash key, a Perl string; any other string
// is refused. exit_status may be absent or null
// for started (the original proxy sent null); any other value but an
// integer there is refused.
func ParseStatus(line []byte) (Status, error) {
	s, err := parseStatus(line)
	if err != nil {
		return Status{}, fmt.Errorf("invalid status line %s: %w", clip(line), err)
	}
	return s, nil
}

func parseStatus(line []byte) (Status, error) {
	obj, err := object(line)
	if err != nil {
		return Status{}, err
	}
	var s Status
	if s.Status, err = str(obj, "status"); err != nil {
		return Status{}, err
	}
	if s.Status != StatusStarted && s.Status != StatusStopped {
		return Status{}, fmt.Errorf("unknown status %q", s.Status)
	}
	if s.Name, err = str(obj, "name"); err != nil {
		return Status{}, err
	}
	if s.Name == "" {
		return Status{}, errors.New("no name")
	}
	pid, ok, err := pidField(obj, "pid")
	switch {
	case err != nil:
		return Status{}, err
	case !ok:
		return Status{}, errors.New("no pid")
	case pid <= 0 || pid > math.MaxInt32:
		return Status{}, fmt.Errorf("pid %d is not a process id", pid)
	}
	s.Pid = pid
	if s.Status == StatusStopped {
		s.ExitStatus, s.NonInteger = exitField(obj)
		return s, nil
	}
	if _, _, err := integer(obj, "exit_status"); err != nil {
		return Status{}, err
	}
	return s, nil
}

// exitField reads the exit_status of a stopped: an integer, or a JSON
// string of decimal digits (as the original Perl proxy may send a number
// kept as a string, as its pids), that an int holds; any other value is
// kept as sent (compacted), "null" when absent, and is no end (NoEnd).
// The line is taken whatever it holds: the proxy says the process ended.
func exitField(obj map[string]json.RawMessage) (ws int, nonInteger string) {
	raw, present := obj["exit_status"]
	if !present || isNull(raw) {
		return 0, noExit
	}
	if raw[0] != '"' {
		if err := json.Unmarshal(raw, &ws); err == nil {
			return ws, ""
		}
	} else if digits, ok := digitString(raw); ok {
		if n, err := strconv.Atoi(digits); err == nil {
			return n, ""
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return 0, string(raw) // not reached: the decoder took it
	}
	return 0, b.String()
}

// noExit is NonInteger for a stopped with no exit_status (absent or null).
const noExit = "null"

// NoExit reports whether s is a stopped that had no exit_status (absent
// or null).
func (s Status) NoExit() bool { return s.Status == StatusStopped && s.NonInteger == noExit }

// digitString returns the text of raw, a JSON string, when it is only
// ASCII decimal digits.
func digitString(raw json.RawMessage) (string, bool) {
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil || !allDigits(s) {
		return "", false
	}
	return s, true
}

// isNumber reports whether raw (a value the JSON decoder took) is a
// number.
func isNumber(raw json.RawMessage) bool {
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

// integer reads an optional integer field: ok is false when it is absent
// or null.
func integer(obj map[string]json.RawMessage, key string) (n int, ok bool, err error) {
	raw, present := obj[key]
	if !present || isNull(raw) {
		return 0, false, nil
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, false, fmt.Errorf("%s: want an integer, got %s", key, clip(raw))
	}
	return n, true, nil
}

// pidField reads an optional pid: a JSON integer, or a JSON string of
// ASCII decimal digits only (no sign, space or exponent), as Perl's JSON::XS
// writes a number kept as a string. ok is false when it is absent or null.
// A string too large for an int is refused here; the caller checks the
// range of the rest.
func pidField(obj map[string]json.RawMessage, key string) (n int, ok bool, err error) {
	raw, present := obj[key]
	if !present || isNull(raw) || raw[0] != '"' {
		return integer(obj, key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, false, fmt.Errorf("%s: want an integer, got %s", key, clip(raw))
	}
	if !allDigits(s) {
		return 0, false, fmt.Errorf("%s: want an integer or a string of decimal digits, got %s", key, clip(raw))
	}
	n, err = strconv.Atoi(s)
	if err != nil {
		return 0, false, fmt.Errorf("%s %s is not a process id", key, clip(raw))
	}
	return n, true, nil
}

// allDigits reports whether s is not empty and only ASCII decimal digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NoEnd says why the exit_status of a stopped s is no wait(2) status of
// a process's end, nil when it is one (and for a started, which has
// none). ParseStatus takes such a line all the same: the proxy says the
// process ended, and a line dropped would leave its service running for
// ever; cfkd takes it as an abnormal end that it says as such (REFERENCE
// §4.3), not as what its bits would read as (-5 as signal 123, 65536 as
// a clean exit, a stopped process's 4991 as 'Exited with error -1').
//
// An end is an exit, its code (0 to 255) in the second byte and nothing
// in the first, or a signal's, its number (1 to MaxSignal) in the low 7
// bits, with or without the core dump flag (0x80), nothing above.
func (s Status) NoEnd() error {
	ws := s.ExitStatus
	var why string
	switch {
	case s.Status != StatusStopped:
		return nil
	case s.NonInteger == noExit:
		return errors.New("no exit_status (absent or null)")
	case s.NonInteger != "":
		return fmt.Errorf("exit_status %s is no process's end (%s)", s.ExitText(), notInteger(s.NonInteger))
	case ws < 0:
		why = "negative"
	case ws > 0xffff:
		why = "more than 16 bits"
	case ws == 0xffff:
		why = "a continued process's"
	case ws&0x7f == 0x7f:
		why = "a stopped process's"
	case ws&0x7f == 0 && ws&0x80 != 0:
		why = "an exit with the core dump flag"
	case ws&0x7f == 0:
		return nil // an exit
	case ws>>8 != 0:
		why = "a signal's with an exit code"
	case ws&0x7f > MaxSignal:
		why = fmt.Sprintf("signal %d, which no process ends by here", ws&0x7f)
	default:
		return nil // a signal's
	}
	return fmt.Errorf("exit_status %d is no process's end (%s)", ws, why)
}

// notInteger says why raw, an exit_status that no int holds, is none.
func notInteger(raw string) string {
	_, digits := digitString(json.RawMessage(raw))
	switch {
	case allDigits(strings.TrimPrefix(raw, "-")) || digits:
		return "more than 16 bits"
	case isNumber(json.RawMessage(raw)):
		return "not written as an integer"
	case raw[0] == '"':
		return "a string, not of decimal digits"
	}
	return "not a number"
}

// ExitText is the exit_status of a stopped as sent, cut to 40 bytes (a
// number of 64 KiB is a line's); "null" for none (absent or null).
func (s Status) ExitText() string {
	if s.NonInteger != "" {
		return clip([]byte(s.NonInteger))
	}
	return strconv.Itoa(s.ExitStatus)
}
