package proxywire

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

// ErrUnknownCommand is returned by ParseCommand for a JSON object whose
// "command" is neither "start" nor "stop".
var ErrUnknownCommand = errors.New("unknown command")

// Command is one line cfkd sends to a proxy.
type Command struct {
	Command string // CommandStart or CommandStop
	Name    string // the service
	// Cmd is the command as a string; Argv is set instead (non-nil) when
	// it came as a JSON array. Start only, like the fields below.
	Cmd  string
	Argv []string
	Env  map[string]string // may be nil

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
// exactly; unknown keys are ignored, and so are the start fields of a stop.
// Errors name the field and the value; a "command" other than start/stop
// wraps ErrUnknownCommand. What it accepts passes Command.check, the
// checks of EncodeCommand.
func ParseCommand(line []byte) (Command, error) {
	obj, err := object(line)
	if err != nil {
		return Command{}, err
	}
	var c Command
	if c.Command, err = str(obj, "command"); err != nil {
		return Command{}, err
	}
	if c.Command != CommandStart && c.Command != CommandStop {
		return Command{}, unknownCommand(c.Command)
	}
	if c.Name, err = str(obj, "name"); err != nil {
		return Command{}, err
	}
	if c.Command == CommandStart {
		if err = c.decodeStart(obj); err != nil {
			return Command{}, err
		}
	}
	if err = c.check(); err != nil {
		return Command{}, err
	}
	return c, nil
}

// decodeStart reads the fields of a start, checking their JSON types only.
func (c *Command) decodeStart(obj map[string]json.RawMessage) error {
	var err error
	if c.Cmd, c.Argv, err = decodeCmd(obj["cmd"]); err != nil {
		return err
	}
	if c.Env, err = decodeEnv(obj["env"]); err != nil {
		return err
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
			return fmt.Errorf("%s: %w", b.key, err)
		}
	}
	c.TieStdinTo, err = str(obj, "tie_stdin_to")
	return err
}

// check is what makes a command, for the parser and the encoder alike: a
// known command and a name; for a start, a command that is not blank (a
// string, or an array whose first item is not empty, not both) and
// environment variables that execve can take; for a stop, nothing else.
func (c Command) check() error {
	switch c.Command {
	case CommandStart, CommandStop:
	default:
		return unknownCommand(c.Command)
	}
	if c.Name == "" {
		return errors.New("name: missing or empty")
	}
	if c.Command == CommandStop {
		if c.Cmd != "" || c.Argv != nil || c.Env != nil || c.IgnoreStdout || c.IgnoreStderr ||
			c.NoNewSession || c.TieStdinTo != "" {
			return errors.New("stop: has fields of a start")
		}
		return nil
	}
	switch {
	case c.Argv != nil && c.Cmd != "":
		return errors.New("cmd: both a string and an array")
	case c.Argv != nil && (len(c.Argv) == 0 || c.Argv[0] == ""):
		return errors.New("cmd: empty array")
	case c.Argv == nil && strings.TrimSpace(c.Cmd) == "":
		return errors.New("cmd: empty")
	}
	for k, v := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("env: invalid variable name %q", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("env %s: NUL byte in value", k)
		}
	}
	return nil
}

func unknownCommand(cmd string) error { return fmt.Errorf("%w %q", ErrUnknownCommand, cmd) }

// MaxCommandLine is the longest command line, its "\n" included, that a
// proxy reads (cfk-proxy and the Python proxy): it reads a longer one to
// its end, drops it and logs it. EncodeCommand refuses to make one.
const MaxCommandLine = 1 << 20

// EncodeCommand returns the line cfkd sends for c, with its "\n": the keys
// the original cfkd sent (command, name; for start also cmd, env,
// ignore_stdout, ignore_stderr, tie_stdin_to) plus no_new_session, in that
// order, env keys sorted. Booleans are JSON true/false, which the original
// Perl proxy reads as true and false too; an empty TieStdinTo is null, as
// the original sent undef; HTML characters are not escaped. It refuses (with
// ParseCommand's error) a command that ParseCommand would refuse, and a
// stop with fields of a start, and a line longer than MaxCommandLine.
func EncodeCommand(c Command) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("encode command: %w", err)
	}
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
	if b.Len() > MaxCommandLine {
		// a proxy would drop it unanswered, and the next start of the
		// service would be taken for this one (REFERENCE §4.2)
		return nil, fmt.Errorf("the %s line of '%s' is %d bytes, more than the %d a proxy reads (its environment is too large)", c.Command, c.Name, b.Len(), MaxCommandLine)
	}
	return b.Bytes(), nil
}

// decodeCmd reads cmd: a string or an array of strings (missing or null is
// an error; emptiness is for check).
func decodeCmd(raw json.RawMessage) (string, []string, error) {
	if raw == nil || isNull(raw) {
		return "", nil, errors.New("cmd: missing")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, nil
	}
	var argv []string
	if err := json.Unmarshal(raw, &argv); err != nil {
		return "", nil, fmt.Errorf("cmd: want a string or an array of strings, got %s", clip(raw))
	}
	return "", argv, nil
}

// decodeEnv reads env: an object of strings or numbers (numbers kept as
// written, nulls skipped); missing or null is no env.
func decodeEnv(raw json.RawMessage) (map[string]string, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("env: want an object, got %s", clip(raw))
	}
	env := make(map[string]string, len(m))
	for k, v := range m {
		switch {
		case isNull(v):
			continue
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("env %s: %w", k, err)
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
