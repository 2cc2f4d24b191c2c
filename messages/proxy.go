package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
)

// ProxyConfig is what a proxy is declared to be (REFERENCE §1.3). Like
// ServiceConfig it is a value: Apply returns a new one.
type ProxyConfig struct {
	Name   string
	Cmd    string   // the command as a string (empty when Argv is used or none)
	Argv   []string // the command as a JSON array
	Desc   string
	Env    []EnvVar // add_env pairs, in declaration order
	NoAuto bool     // noauto: never run by a service start, only by proxyup
}

// NewProxyConfig returns the configuration of a proxy just declared: auto,
// without a command.
func NewProxyConfig(name string) ProxyConfig { return ProxyConfig{Name: name} }

// Apply sets one attribute (an Unset value restores its default) and
// returns the new configuration; c is left unchanged. It takes effect at
// the next run of the proxy.
func (c ProxyConfig) Apply(attr ProxyAttr, v Value) (ProxyConfig, error) {
	switch attr {
	case ProxyCmd:
		c.Cmd, c.Argv = v.Str, clone(v.Argv)
	case ProxyDesc:
		c.Desc = v.Str
	case ProxyNoauto:
		c.NoAuto = v.Bool
	case ProxyAddEnv:
		c.Env = withEnv(c.Env, v)
	default:
		return c, fmt.Errorf("invalid property '%s'", attr)
	}
	return c, nil
}

// HasCmd reports whether a command is declared.
func (c ProxyConfig) HasCmd() bool { return c.Cmd != "" || len(c.Argv) > 0 }

// The environment variables that hand a proxy its pipes and sockets
// (REFERENCE §4.1, compat).
const (
	ProxyCommandFdEnv = "_CFK_COMMAND_FD"
	ProxyStatusFdEnv  = "_CFK_STATUS_FD"
	ProxyLogFdEnv     = "_CFK_LOG_FD"
	ProxySockEnv      = "_CFK_SOCK_" // + socket name
)

// ProxyStateChanged is published on the event stream whenever a proxy
// process starts running or is gone.
type ProxyStateChanged struct {
	Name    string
	Running bool
	Pid     int // the proxy process while it runs, else 0
}

// ProxyReportedStarted: the proxy's status pipe said it started service
// Name as Pid. Run is the run of the proxy process whose pipe said it.
type ProxyReportedStarted struct {
	Run  uint64
	Name string
	Pid  int
}

// ProxyReportedStopped: the proxy's status pipe said the process Pid of
// service Name exited with the raw wait status Status.
type ProxyReportedStopped struct {
	Run    uint64
	Name   string
	Pid    int
	Status syscall.WaitStatus
}

// proxyStart is the start command of REFERENCE §4.2, fields in its order.
type proxyStart struct {
	Command      string            `json:"command"`
	Name         string            `json:"name"`
	Cmd          any               `json:"cmd"`
	Env          map[string]string `json:"env"`
	IgnoreStdout bool              `json:"ignore_stdout"`
	IgnoreStderr bool              `json:"ignore_stderr"`
	TieStdinTo   *string           `json:"tie_stdin_to"`
	NoNewSession bool              `json:"no_new_session"`
}

type proxyStop struct {
	Command string `json:"command"`
	Name    string `json:"name"`
}

// ProxyStartLine is the line cfkd writes on a proxy's command pipe to
// start service c (REFERENCE §4.2), "\n" included. cmd is the string or the
// array as declared; env holds the add_env pairs only, as the original's
// (the proxy adds CONTROL_FREAK_ENABLED and CONTROL_FREAK_SERVICE:
// REFERENCE §4.6); tie_stdin_to is null when the service has none, as the
// original's undef. Booleans are JSON true/false: the original sent the
// console's raw string ("1", "yes", ...) or null, and its proxy only
// tested them for Perl truth (`unless ($svc->{ignore_stdout})`), which
// true/false satisfy; a strict decoder gets real booleans. Keys come in
// the order of REFERENCE §4.2 (the original's were in Perl hash order, so no
// client can depend on one).
func ProxyStartLine(c ServiceConfig) []byte {
	m := proxyStart{Command: "start", Name: c.Name, Cmd: c.Cmd, Env: map[string]string{},
		IgnoreStdout: c.IgnoreStdout, IgnoreStderr: c.IgnoreStderr, NoNewSession: c.NoNewSession}
	if len(c.Argv) > 0 {
		m.Cmd = c.Argv
	}
	for _, e := range c.Env {
		m.Env[e.Key] = e.Value
	}
	if c.TieStdinTo != "" {
		s := c.TieStdinTo
		m.TieStdinTo = &s
	}
	return jsonLine(m)
}

// ProxyStopLine is the line that stops service name (REFERENCE §4.2).
func ProxyStopLine(name string) []byte {
	return jsonLine(proxyStop{Command: "stop", Name: name})
}

func jsonLine(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // plain strings, bools and maps: cannot fail
	return b.Bytes()
}

// proxyStatus is one line of a proxy's status pipe (REFERENCE §4.3).
type proxyStatus struct {
	Status     string `json:"status"`
	Name       string `json:"name"`
	Pid        *int   `json:"pid"`
	ExitStatus *int   `json:"exit_status"`
}

// ParseProxyStatus parses one line of a proxy's status pipe into a
// ProxyReportedStarted or a ProxyReportedStopped (Run left 0).
func ParseProxyStatus(line []byte) (any, error) {
	var s proxyStatus
	if err := json.Unmarshal(line, &s); err != nil {
		return nil, fmt.Errorf("proxy status %q: %w", line, err)
	}
	if s.Name == "" || s.Pid == nil || *s.Pid <= 0 {
		return nil, fmt.Errorf("proxy status %q: want a name and a pid", line)
	}
	switch s.Status {
	case "started":
		return ProxyReportedStarted{Name: s.Name, Pid: *s.Pid}, nil
	case "stopped":
		if s.ExitStatus == nil {
			return nil, fmt.Errorf("proxy status %q: stopped without exit_status", line)
		}
		return ProxyReportedStopped{Name: s.Name, Pid: *s.Pid, Status: syscall.WaitStatus(*s.ExitStatus)}, nil
	}
	return nil, fmt.Errorf("proxy status %q: unknown status '%s'", line, s.Status)
}

// ProxyLogLine is one line of a proxy's log pipe (REFERENCE §4.4):
// `TYPE:SVCNAME:MESSAGE`.
type ProxyLogLine struct {
	Stream  string // "out" or "err"
	Service string // a service name, or "-" for the proxy itself
	Message string // the rest of the line, colons included
}

// ParseProxyLog parses one line of a proxy's log pipe. The service name
// must be a valid name or "-".
func ParseProxyLog(line string) (ProxyLogLine, error) {
	typ, rest, ok1 := strings.Cut(line, ":")
	svc, msg, ok2 := strings.Cut(rest, ":")
	switch {
	case !ok1 || !ok2:
		return ProxyLogLine{}, fmt.Errorf("proxy log %q: want TYPE:NAME:MESSAGE", line)
	case typ != "out" && typ != "err":
		return ProxyLogLine{}, fmt.Errorf("proxy log %q: unknown type '%s'", line, typ)
	case svc != "-" && !ValidName(svc):
		return ProxyLogLine{}, fmt.Errorf("proxy log %q: invalid service name", line)
	}
	return ProxyLogLine{Stream: typ, Service: svc, Message: msg}, nil
}
