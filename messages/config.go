package messages

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// EnvVar is one variable added to a service's environment.
type EnvVar struct{ Key, Value string }

// ServiceConfig is what a service is declared to be: every attribute of
// REFERENCE §1.1 with its default. It is a value: Apply never mutates slices it
// shares with a copy, so a config sent to an actor stays as it was sent.
type ServiceConfig struct {
	Name          string
	Cmd           string   // the command as a string (empty when Argv is used or none)
	Argv          []string // the command as a JSON array
	Desc          string
	Tags          []string
	Env           []EnvVar // in declaration order, one entry per key
	TieStdinTo    string
	ListenSockets []string // sockets passed as fds 3, 4, ... (systemd socket activation)
	IgnoreStdout  bool
	IgnoreStderr  bool
	RespawnOnFail bool
	RespawnOnStop bool
	MaxRetries    int
	StartWait     time.Duration
	StopWait      time.Duration
	// RestartMaxDelay caps the delay between consecutive crashes of a
	// running service; RestartReset is how long it must stay running for
	// its crash count to start again from zero (REFERENCE §2.3).
	RestartMaxDelay time.Duration
	RestartReset    time.Duration
	// Readiness (REFERENCE §2.9): how the service says it is ready (a
	// `ready` value, "" for none) and how long it may take.
	Ready        string
	ReadyTimeout time.Duration
	Watchdog     time.Duration // WATCHDOG=1 at least this often while running (0: no watchdog)
	// StopSignal begins a stop (SIGTERM by default); SuccessCodes are the
	// exit codes that count as a clean exit (0 always does); EnvFile is
	// read at each start (REFERENCE §2.4).
	StopSignal   syscall.Signal
	SuccessCodes []string
	EnvFile      string
	NoNewSession bool
	Cwd          string
	User         string
	Group        string
	Proxy        string // the proxy the service runs under; empty: cfkd forks it
	// Requires names the services that must be running before this one
	// starts (REFERENCE §2.8), in declaration order; they need not be
	// declared yet.
	Requires []string
	// OneShot: the service is done when its process exits cleanly
	// (REFERENCE §2.10): it stays starting while it runs, and what
	// requires it starts once it is done
	OneShot bool `json:",omitempty"`
	// Umask is the process's umask, 4 octal digits ("0027"); empty:
	// cfkd's (REFERENCE §1.1). Set by a shell that execs the command.
	Umask string `json:",omitempty"`
	// LimitNofile is the process's RLIMIT_NOFILE, "SOFT:HARD"; empty:
	// what it inherits (REFERENCE §1.1, §7.6). Set by the same shell.
	LimitNofile string `json:",omitempty"`
}

// Defaults of REFERENCE §1.1, in one place.
const (
	DefaultMaxRetries = 8
	DefaultStartWait  = 1 * time.Second
	DefaultStopWait   = 2 * time.Second
	// DefaultRestartMaxDelay and DefaultRestartReset: crash-loop
	// throttling (extension, REFERENCE §2.3).
	DefaultRestartMaxDelay = 60 * time.Second
	DefaultRestartReset    = 60 * time.Second
	DefaultReadyTimeout    = 60 * time.Second
	DefaultStopSignal      = syscall.SIGTERM
)

// NewServiceConfig returns the configuration of a service just declared.
func NewServiceConfig(name string) ServiceConfig {
	return ServiceConfig{
		Name:            name,
		RespawnOnFail:   true,
		MaxRetries:      DefaultMaxRetries,
		StartWait:       DefaultStartWait,
		StopWait:        DefaultStopWait,
		RestartMaxDelay: DefaultRestartMaxDelay,
		RestartReset:    DefaultRestartReset,
		ReadyTimeout:    DefaultReadyTimeout,
		StopSignal:      DefaultStopSignal,
	}
}

// Apply sets one attribute (an Unset value restores its default) and
// returns the new configuration; c is left unchanged.
func (c ServiceConfig) Apply(attr ServiceAttr, v Value) (ServiceConfig, error) {
	orig, d := c, NewServiceConfig(c.Name)
	switch attr {
	case SvcCmd:
		c.Cmd, c.Argv = v.Str, clone(v.Argv)
	case SvcDesc:
		c.Desc = v.Str
	case SvcTags:
		c.Tags = clone(v.List)
	case SvcAddEnv:
		c.Env = withEnv(c.Env, v)
	case SvcTieStdinTo:
		c.TieStdinTo = v.Str
	case SvcListenSockets:
		c.ListenSockets = clone(v.List)
	case SvcIgnoreStdout:
		c.IgnoreStdout = v.Bool
	case SvcIgnoreStderr:
		c.IgnoreStderr = v.Bool
	case SvcRespawnOnFail:
		c.RespawnOnFail = pick(v, v.Bool, d.RespawnOnFail)
	case SvcRespawnOnStop:
		c.RespawnOnStop = v.Bool
	case SvcRespawnMaxRetries:
		c.MaxRetries = pick(v, v.Int, d.MaxRetries)
	case SvcStartwaitSecs:
		c.StartWait = pick(v, seconds(v.Num), d.StartWait)
	case SvcStopwaitSecs:
		c.StopWait = pick(v, seconds(v.Num), d.StopWait)
	case SvcRestartMaxDelaySecs:
		c.RestartMaxDelay = pick(v, seconds(v.Num), d.RestartMaxDelay)
	case SvcRestartResetSecs:
		c.RestartReset = pick(v, seconds(v.Num), d.RestartReset)
	case SvcReady:
		c.Ready = v.Str
	case SvcReadyTimeoutSecs:
		c.ReadyTimeout = pick(v, seconds(v.Num), d.ReadyTimeout)
	case SvcStopSignal:
		c.StopSignal = pick(v, syscall.Signal(v.Int), d.StopSignal)
	case SvcSuccessExitCodes:
		c.SuccessCodes = clone(v.List)
	case SvcEnvFile:
		c.EnvFile = v.Str
	case SvcWatchdogSecs:
		c.Watchdog = seconds(v.Num)
	case SvcNoNewSession:
		c.NoNewSession = v.Bool
	case SvcCwd:
		c.Cwd = v.Str
	case SvcUser:
		c.User = v.Str
	case SvcGroup:
		c.Group = v.Str
	case SvcRequires:
		c.Requires = clone(v.List)
	case SvcOneShot:
		c.OneShot = v.Bool
	case SvcUmask:
		c.Umask = v.Str
	case SvcLimitNofile:
		c.LimitNofile = v.Str
	default:
		return c, fmt.Errorf("invalid property '%s'", attr)
	}
	if err := c.checkOneShot(attr, v); err != nil {
		return orig, err
	}
	return c, nil
}

// checkOneShot refuses ready on a oneshot service, and oneshot on a
// service with ready (REFERENCE §2.10): a oneshot is done when its
// process exits, it is never ready while it runs. attr is the attribute
// just set, whose value v the error names.
func (c ServiceConfig) checkOneShot(attr ServiceAttr, v Value) error {
	if !c.OneShot || c.Ready == "" {
		return nil
	}
	if attr == SvcOneShot {
		return invalidValue(string(attr), "1", "a service without ready: service "+c.Name+" has ready="+c.Ready+
			", and a oneshot is done when it exits (unset ready first)")
	}
	return invalidValue(string(attr), v.Str, "none: service "+c.Name+" is oneshot=1, done when it exits (unset oneshot first)")
}

// pick returns set, or def when v unsets the attribute. (An Unset value
// has zero fields, so attributes whose default is the zero value need no
// pick.)
func pick[T any](v Value, set, def T) T {
	if v.Unset {
		return def
	}
	return set
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func withEnv(env []EnvVar, v Value) []EnvVar {
	if v.Unset {
		return nil
	}
	out := make([]EnvVar, 0, len(env)+1)
	for _, e := range env {
		if e.Key != v.Key {
			out = append(out, e)
		}
	}
	return append(out, EnvVar{Key: v.Key, Value: v.Str})
}

func clone(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// HasCmd reports whether a command is declared.
func (c ServiceConfig) HasCmd() bool { return c.Cmd != "" || len(c.Argv) > 0 }

// CmdText is the command as shown by desc: the string, or the JSON array
// (argvJSON: as the original wrote it, REFERENCE §1.6).
func (c ServiceConfig) CmdText() string {
	if len(c.Argv) > 0 {
		return argvJSON(c.Argv)
	}
	return c.Cmd
}

// HasTag reports whether the service carries tag t.
func (c ServiceConfig) HasTag(t string) bool {
	for _, x := range c.Tags {
		if x == t {
			return true
		}
	}
	return false
}

// UsesSocket reports whether the service is tied to socket name, as its
// stdin or one of its listen_sockets.
func (c ServiceConfig) UsesSocket(name string) bool {
	if name == "" {
		return false
	}
	if c.TieStdinTo == name {
		return true
	}
	for _, x := range c.ListenSockets {
		if x == name {
			return true
		}
	}
	return false
}

// TagsText is the tag set as shown by desc: joined by ", ".
func (c ServiceConfig) TagsText() string { return strings.Join(c.Tags, ", ") }
