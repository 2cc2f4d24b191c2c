package messages

// Statement is what one line of the command language parses into.
type Statement interface {
	// NeedsPrivilege reports whether only a privileged console may run it
	// (declarations do; `command ...` lines do not).
	NeedsPrivilege() bool
}

// ServiceAttr names a service attribute (REFERENCE §1.1).
type ServiceAttr string

// The service attributes.
const (
	SvcCmd                 ServiceAttr = "cmd"
	SvcDesc                ServiceAttr = "desc"
	SvcTags                ServiceAttr = "tags"
	SvcAddEnv              ServiceAttr = "add_env"
	SvcTieStdinTo          ServiceAttr = "tie_stdin_to"
	SvcListenSockets       ServiceAttr = "listen_sockets"
	SvcIgnoreStdout        ServiceAttr = "ignore_stdout"
	SvcIgnoreStderr        ServiceAttr = "ignore_stderr"
	SvcRespawnOnFail       ServiceAttr = "respawn_on_fail"
	SvcRespawnOnStop       ServiceAttr = "respawn_on_stop"
	SvcRespawnMaxRetries   ServiceAttr = "respawn_max_retries"
	SvcStartwaitSecs       ServiceAttr = "startwait_secs"
	SvcStopwaitSecs        ServiceAttr = "stopwait_secs"
	SvcRestartMaxDelaySecs ServiceAttr = "restart_max_delay_secs"
	SvcRestartResetSecs    ServiceAttr = "restart_reset_secs"
	SvcReady               ServiceAttr = "ready"
	SvcReadyTimeoutSecs    ServiceAttr = "ready_timeout_secs"
	SvcStopSignal          ServiceAttr = "stop_signal"
	SvcSuccessExitCodes    ServiceAttr = "success_exit_codes"
	SvcEnvFile             ServiceAttr = "env_file"
	SvcWatchdogSecs        ServiceAttr = "watchdog_secs"
	SvcNoNewSession        ServiceAttr = "no_new_session"
	SvcCwd                 ServiceAttr = "cwd"
	SvcUser                ServiceAttr = "user"
	SvcGroup               ServiceAttr = "group"
	SvcRequires            ServiceAttr = "requires"
	SvcOneShot             ServiceAttr = "oneshot"
	SvcUmask               ServiceAttr = "umask"
	SvcLimitNofile         ServiceAttr = "limit_nofile"
)

// SocketAttr names a socket attribute (REFERENCE §1.2).
type SocketAttr string

// The socket attributes.
const (
	SockHost        SocketAttr = "host"
	SockService     SocketAttr = "service"
	SockNonblocking SocketAttr = "nonblocking"
	SockListenQsize SocketAttr = "listen_qsize"
	SockUser        SocketAttr = "user"     // the owner of a UNIX socket's file
	SockGroup       SocketAttr = "group"    // its group
	SockMode        SocketAttr = "mode"     // its permission bits
	SockIPv6Only    SocketAttr = "ipv6only" // IPV6_V6ONLY on an IPv6 socket
)

// ProxyAttr names a proxy attribute (REFERENCE §1.3).
type ProxyAttr string

// The proxy attributes.
const (
	ProxyCmd    ProxyAttr = "cmd"
	ProxyDesc   ProxyAttr = "desc"
	ProxyNoauto ProxyAttr = "noauto"
	ProxyAddEnv ProxyAttr = "add_env"
)

// Value is a cleaned, validated attribute value. Which field is meaningful
// depends on the attribute:
//
//	Unset                  the value was empty: the attribute goes back to its default
//	Str                    cmd (string form), desc, tie_stdin_to, cwd, user, group,
//	                       umask and mode (4 octal digits, 0022),
//	                       limit_nofile (SOFT:HARD, decimal),
//	                       host, service (socket); the value part of add_env
//	Argv                   cmd given as a JSON array (non-nil, non-empty)
//	Bool                   every boolean attribute
//	Num                    startwait_secs, stopwait_secs (finite, >= 0)
//	Int                    respawn_max_retries (>= 1), listen_qsize (>= 1;
//	                       0 means "max", SOMAXCONN)
//	List                   tags, requires: deduplicated, in first-seen order; listen_sockets:
//	                       in order, each once (a name twice is refused)
//	Key                    add_env: the variable name (Str holds its value)
type Value struct {
	Unset bool
	Str   string
	Argv  []string
	Bool  bool
	Num   float64
	Int   int
	List  []string
	Key   string
}

// SetServiceAttr declares a service (on first mention) and sets one of its
// attributes: `service NAME ATTR=VALUE`, or `proxy PROXY service NAME
// ATTR=VALUE`, in which case Proxy names the proxy the service is put under.
type SetServiceAttr struct {
	Service string
	Proxy   string
	Attr    ServiceAttr
	Value   Value
}

// SetSocketAttr declares a socket and sets one of its attributes.
type SetSocketAttr struct {
	Socket string
	Attr   SocketAttr
	Value  Value
}

// SetProxyAttr declares a proxy and sets one of its attributes.
type SetProxyAttr struct {
	Proxy string
	Attr  ProxyAttr
	Value Value
}

// Verb is the verb of a `command VERB ...` line (REFERENCE §1.4).
type Verb string

// The verbs.
const (
	VerbStart       Verb = "start"
	VerbStop        Verb = "stop"
	VerbUp          Verb = "up"
	VerbDown        Verb = "down"
	VerbRestart     Verb = "restart"
	VerbDestroy     Verb = "destroy"
	VerbStatus      Verb = "status"
	VerbDesc        Verb = "desc"
	VerbPids        Verb = "pids"
	VerbList        Verb = "list"
	VerbVersion     Verb = "version"
	VerbProxyStatus Verb = "proxystatus"
	VerbProxyUp     Verb = "proxyup"
	VerbProxyDown   Verb = "proxydown"
	VerbBind        Verb = "bind"
	VerbShutdown    Verb = "shutdown"

	// Extensions (not in the original).
	VerbUnbind         Verb = "unbind"         // unbind SOCKNAME: close a bound socket
	VerbSockets        Verb = "sockets"        // one line per socket
	VerbRollingRestart Verb = "rollingrestart" // restart SEL one service at a time
	VerbInspect        Verb = "inspect"        // inspect [SEL]: one JSON object (ServiceInfo) per service
	VerbSignal         Verb = "signal"         // signal SIG SEL: SIG to each selected service's process
	VerbApply          Verb = "apply"          // apply [OPTIONS] DATA: a config file's declarations as one unit (Apply)
	VerbEvents         Verb = "events"         // events [SEL]: the connection becomes a stream of Event lines
	VerbTail           Verb = "tail"           // tail NAME [N] [follow]: a service's last lines of output
	VerbFleet          Verb = "fleet"          // fleet [OPTIONS] VERB ...: a hub's request to its hosts (Fleet)
	VerbUpgrade        Verb = "upgrade"        // upgrade [PATH]: cfkd re-executes itself in place (REFERENCE §13)
	VerbUpgraded       Verb = "upgraded"       // upgraded: what the last upgrade in place did (REFERENCE §13.4)
)

// DefaultTailLines is how many lines `command tail NAME` answers when N is
// not given; MaxTailLines is the largest N (REFERENCE §1.4).
const (
	DefaultTailLines = 20
	MaxTailLines     = 100000
)

// SelectorKind says how a selector picks services.
type SelectorKind int

// The selector kinds. SelectNone means no selector was given.
const (
	SelectNone SelectorKind = iota
	SelectAll
	SelectService
	SelectTag
)

// Selector picks services: `service NAME`, `tag TAG` or `all`.
type Selector struct {
	Kind SelectorKind
	Name string // the service name or the tag
}

// ControlCommand is a `command VERB ARGS...` line. Sel is set for the
// service verbs and events (SelectNone when omitted: the controller
// applies the verb's default); More holds the selectors after the first
// of a service verb given several (`command stop service db service
// app`, an extension: one request, planned together, REFERENCE §1.4),
// each once, nil for one (never `all`: it stands alone); Arg holds the proxy or socket name for
// proxyup, proxydown, bind and unbind, and the service name for tail.
// Lines and Follow are tail's: how many lines (DefaultTailLines when not
// given), and whether the connection then follows the new ones.
type ControlCommand struct {
	Verb   Verb
	Sel    Selector
	More   []Selector
	Arg    string
	Lines  int
	Follow bool
}

// Selectors is Sel, then More.
func (c ControlCommand) Selectors() []Selector {
	return append([]Selector{c.Sel}, c.More...)
}

// Streams reports whether the command turns its admin connection into a
// stream (REFERENCE §1.5): `events`, and `tail NAME follow`.
func (c ControlCommand) Streams() bool {
	return c.Verb == VerbEvents || c.Verb == VerbTail && c.Follow
}

// NeedsPrivilege implements Statement.
func (SetServiceAttr) NeedsPrivilege() bool { return true }

// NeedsPrivilege implements Statement.
func (SetSocketAttr) NeedsPrivilege() bool { return true }

// NeedsPrivilege implements Statement.
func (SetProxyAttr) NeedsPrivilege() bool { return true }

// NeedsPrivilege implements Statement.
func (ControlCommand) NeedsPrivilege() bool { return false }

var (
	_ Statement = SetServiceAttr{}
	_ Statement = SetSocketAttr{}
	_ Statement = SetProxyAttr{}
	_ Statement = ControlCommand{}
)
