package actors

import (
	"fmt"
	"strings"

	"github.com/cfk/cfk/messages"
)

// The messages below carry a declaration's environment: add_env values
// and an env_file's, which are never logged (REFERENCE §5.5). protoactor
// logs a message that reached an actor gone meanwhile (a dead letter, at
// debug level) as it prints: a service destroyed, or cfkd shutting down,
// while its env_file was read off the actor. They print the names of the
// variables alone.

func (m credResolved) String() string {
	return fmt.Sprintf("credResolved{attempt %d, env %s, err %v}", m.attempt, envKeys(m.vars), m.err != nil)
}

func (m credResolved) GoString() string { return m.String() }

func (m proxyStartRequest) String() string {
	return fmt.Sprintf("proxyStartRequest{service %s, attempt %d, env %s}", m.cfg.Name, m.attempt, envKeys(m.cfg.Env))
}

func (m proxyStartRequest) GoString() string { return m.String() }

func (m configureProxy) String() string {
	return fmt.Sprintf("configureProxy{proxy %s, env %s}", m.cfg.Name, envKeys(m.cfg.Env))
}

func (m configureProxy) GoString() string { return m.String() }

// String prints msg as it prints itself (a proxyStartRequest without its
// values): an unexported field's own String is not called by fmt.
func (m toProxy) String() string { return fmt.Sprintf("toProxy{proxy %s: %v}", m.proxy, m.msg) }

func (m toProxy) GoString() string { return m.String() }

// envKeys is the names of vars, "[K1 K2]".
func envKeys(vars []messages.EnvVar) string {
	keys := make([]string, len(vars))
	for i, v := range vars {
		keys[i] = v.Key
	}
	return "[" + strings.Join(keys, " ") + "]"
}
