package proxyproc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The commands cfkd sends (REFERENCE §4.2).
const (
	CommandStart = "start"
	CommandStop  = "stop"
)

// The statuses a proxy reports (REFERENCE §4.3).
const (
	StatusStarted = "started"
	StatusStopped = "stopped"
)

// ErrUnknownCommand is returned by ParseCommand for a JSON object whose
// "command" is neither "start" nor "stop".
var ErrUnknownCommand = errors.New("unknown command")

// Command is one line cfkd sends to a proxy.
type Command struct {
	Command string // CommandStart or CommandStop
	Name    string // the service
	// Cmd is the command as a string; Argv is set instead (non-nil) when
	// it came as a JSON array. Start only.
	Cmd  string
	Argv []string
	Env  map[string]string // start only; may be nil

	IgnoreStdout, IgnoreStderr, NoNewSession bool
	TieStdinTo                               string // a socket name; "" for none
}

// ParseCommand decodes one command line (without or with its "\n").
//
// It is lenient the way the original Perl proxy was, because the original
// cfkd sent Perl values: booleans may be JSON true/false, null, numbers (0
// is false) or strings ("" and "0" are false, as in Perl); env values may be
// strings or numbers (kept as written), a null env value is skipped; env,
// tie_stdin_to and the booleans may be null or absent. Keys are matched
// exactly; unknown keys are ignored. Errors name the field and the value;
// a "command" other than start/stop wraps ErrUnknownCommand.
func ParseCommand(line []byte) (Command, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return Command{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if obj == nil {
		return Command{}, errors.New("not a JSON object")
	}
	var c Command
	var err error
	if c.Command, err = str(obj, "command"); err != nil {
		return Command{}, err
	}
	if c.Command != CommandStart && c.Command != CommandStop {
		return Command{}, fmt.Errorf("%w %q", ErrUnknownCommand, c.Command)
	}
	if c.Name, err = str(obj, "name"); err != nil {
		return Command{}, err
	}
	if c.Name == "" {
		return Command{}, errors.New("name: missing or empty")
	}
	if c.Command == CommandStop {
		return c, nil
	}
	if c.Cmd, c.Argv, err = parseCmd(obj["cmd"]); err != nil {
		return Command{}, err
	}
	if c.Env, err = parseEnv(obj["env"]); err != nil {
		return Command{}, err
	}
	for _, b := range []struct {
		key string
		to  *bool
	}{
		{"ignore_stdout", &c.IgnoreStdout},
		{"ignore_stderr", &c.IgnoreStderr},
		{"no_new_session", &c.NoNewSession},
	} {
		if *b.to, err = perlBool(obj[b.key]); err != nil {
			return Command{}, fmt.Errorf("%s: %w", b.key, err)
		}
	}
	if c.TieStdinTo, err = str(obj, "tie_stdin_to"); err != nil {
		return Command{}, err
	}
	return c, nil
}

// str reads an optional string field: absent or null is "".
func str(obj map[string]json.RawMessage, key string) (string, error) {
	raw, ok := obj[key]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: want a string, got %s", key, clip(raw))
	}
	return s, nil
}

func parseCmd(raw json.RawMessage) (string, []string, error) {
	if raw == nil || isNull(raw) {
		return "", nil, errors.New("cmd: missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.TrimSpace(s) == "" {
			return "", nil, errors.New("cmd: empty")
		}
		return s, nil, nil
	}
	var argv []string
	if err := json.Unmarshal(raw, &argv); err != nil {
		return "", nil, fmt.Errorf("cmd: want a string or an array of strings, got %s", clip(raw))
	}
	if len(argv) == 0 || argv[0] == "" {
		return "", nil, errors.New("cmd: empty array")
	}
	return "", argv, nil
}

func parseEnv(raw json.RawMessage) (map[string]string, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("env: want an object, got %s", clip(raw))
	}
	env := make(map[string]string, len(m))
	for k, v := range m {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return nil, fmt.Errorf("env: invalid variable name %q", k)
		}
		switch {
		case isNull(v):
			continue
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("env %s: %w", k, err)
			}
			if strings.IndexByte(s, 0) >= 0 {
				return nil, fmt.Errorf("env %s: NUL byte in value", k)
			}
			env[k] = s
		case v[0] == '-' || '0' <= v[0] && v[0] <= '9':
			env[k] = string(v) // a number, as written
		default:
			return nil, fmt.Errorf("env %s: want a string or a number, got %s", k, clip(v))
		}
	}
	return env, nil
}

// perlBool reads a boolean the way Perl tests truth.
func perlBool(raw json.RawMessage) (bool, error) {
	if raw == nil || isNull(raw) {
		return false, nil
	}
	switch raw[0] {
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return false, fmt.Errorf("want a boolean, got %s", clip(raw))
		}
		return b, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return false, err
		}
		return s != "" && s != "0", nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return false, fmt.Errorf("want a boolean, got %s", clip(raw))
	}
	return f != 0, nil
}

// isNull reports whether raw (as json.RawMessage gives it: no surrounding
// space) is null.
func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// clip shortens a raw value for an error message.
func clip(raw []byte) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "..."
	}
	return string(raw)
}

// EncodeCommand returns the line cfkd sends for c, with its "\n": the keys
// the original cfkd sent (command, name; for start also cmd, env,
// ignore_stdout, ignore_stderr, tie_stdin_to) plus no_new_session.
// Booleans are JSON true/false, which the original Perl proxy reads as true
// and false too; an empty TieStdinTo is null, as the original sent undef.
func EncodeCommand(c Command) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"command":`)
	writeJSON(&b, c.Command)
	b.WriteString(`,"name":`)
	writeJSON(&b, c.Name)
	if c.Command == CommandStart {
		b.WriteString(`,"cmd":`)
		if c.Argv != nil {
			writeJSON(&b, c.Argv)
		} else {
			writeJSON(&b, c.Cmd)
		}
		b.WriteString(`,"env":{`)
		keys := make([]string, 0, len(c.Env))
		for k := range c.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(&b, k)
			b.WriteByte(':')
			writeJSON(&b, c.Env[k])
		}
		b.WriteString(`},"ignore_stdout":`)
		writeJSON(&b, c.IgnoreStdout)
		b.WriteString(`,"ignore_stderr":`)
		writeJSON(&b, c.IgnoreStderr)
		b.WriteString(`,"tie_stdin_to":`)
		if c.TieStdinTo == "" {
			b.WriteString("null")
		} else {
			writeJSON(&b, c.TieStdinTo)
		}
		b.WriteString(`,"no_new_session":`)
		writeJSON(&b, c.NoNewSession)
	}
	b.WriteString("}\n")
	if !json.Valid(b.Bytes()) {
		return nil, errors.New("encode command: invalid UTF-8 or value")
	}
	return b.Bytes(), nil
}

// Status is one line a proxy reports to cfkd.
type Status struct {
	Status string // StatusStarted or StatusStopped
	Name   string
	Pid    int
	// ExitStatus is the raw wait(2) status (stopped only).
	ExitStatus int
}

// EncodeStatus returns the status line for s, with its "\n":
// {"status":"started","name":N,"pid":P} or
// {"status":"stopped","name":N,"pid":P,"exit_status":W}. (The original
// proxy also sent "exit_status":null with started, in Perl's hash order;
// cfkd decodes the JSON, so neither matters to it.) HTML characters are
// not escaped, as Perl's JSON::XS does not.
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
		b.WriteString(strconv.Itoa(s.ExitStatus))
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// ParseStatus decodes a status line, for cfkd. exit_status may be absent or
// null for started. A status other than started/stopped is an error.
func ParseStatus(line []byte) (Status, error) {
	var raw struct {
		Status     *string `json:"status"`
		Name       *string `json:"name"`
		Pid        *int    `json:"pid"`
		ExitStatus *int    `json:"exit_status"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return Status{}, fmt.Errorf("invalid status line: %w", err)
	}
	if raw.Status == nil || (*raw.Status != StatusStarted && *raw.Status != StatusStopped) {
		return Status{}, fmt.Errorf("invalid status line: unknown status in %s", clip(line))
	}
	if raw.Name == nil || *raw.Name == "" {
		return Status{}, errors.New("invalid status line: no name")
	}
	s := Status{Status: *raw.Status, Name: *raw.Name}
	if raw.Pid != nil {
		s.Pid = *raw.Pid
	}
	if s.Status == StatusStopped {
		if raw.ExitStatus == nil {
			return Status{}, errors.New("invalid status line: stopped without exit_status")
		}
		s.ExitStatus = *raw.ExitStatus
	}
	return s, nil
}

// LogLine is one line of the log pipe: TYPE:SVCNAME:MESSAGE.
type LogLine struct {
	Type    string // "out" or "err"
	Service string // "-" for the proxy itself
	Message string
}

// SelfName is the service name of the proxy's own log lines.
const SelfName = "-"

// ParseLogLine splits a log line (without its "\n") on its first two
// colons, as the original cfkd did. A line with fewer than two colons is an
// error.
func ParseLogLine(line string) (LogLine, error) {
	typ, rest, ok1 := strings.Cut(line, ":")
	name, msg, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return LogLine{}, fmt.Errorf("invalid log line %q", clip([]byte(line)))
	}
	return LogLine{Type: typ, Service: name, Message: msg}, nil
}

// appendLogLine appends TYPE:NAME:MSG\n to b. A "\n" in name or msg (only
// possible from a bad service name or a command echoed back) becomes a
// space, so that one call is always one line.
func appendLogLine(b []byte, typ, name string, msg []byte) []byte {
	b = append(b, typ...)
	b = append(b, ':')
	b = appendOneLine(b, []byte(name))
	b = append(b, ':')
	b = appendOneLine(b, msg)
	return append(b, '\n')
}

func appendOneLine(b, s []byte) []byte {
	for _, c := range s {
		if c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // cannot fail for strings, string slices and bools
	b.Truncate(b.Len() - 1)
}
