package messages

import (
	"fmt"
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

// ProxyStateChanged is published on the event stream at every change of
// a proxy's state (down, up, stopping).
type ProxyStateChanged struct {
	Name     string
	From, To string
	Running  bool // To is up
	Pid      int  // the proxy process until it is down, else 0
}
