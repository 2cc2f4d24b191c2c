package daemon

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/flagtext"
)

// Flags are cfkd's command-line options (REFERENCE §7).
type Flags struct {
	Home      string
	Address   string
	LogConfig string
	// LogConfigDefault: -l was not given, LogConfig is HOME/log.config;
	// messages then name the file, not a flag the user did not pass
	LogConfigDefault bool
	Config           string
	Daemon           bool
	Trap             bool
	Version          bool
	CommandOnly      bool
	RemotePrivileged bool

	// Who gets in, and how many (REFERENCE §5, §7.1).
	AdminGroup     string        // GROUP[:LEVEL]: its members' level on the UNIX socket
	AdminToken     string        // the token file of a TCP console
	InsecureTCP    bool          // a TCP console without tokens, as before rights
	MaxConnections int           // admin connections at once
	IdleTimeout    time.Duration // close a connection idle that long (0: never)
	idleSet        bool          // --idle-timeout given (else: off on UNIX, 10 min on TCP)
	HTTP           string        // --http ADDR: the status page and /metrics (REFERENCE §10)
	HTTPRemote     bool
	HTTPToken      string
	InsecureHTTP   bool // --insecure-http: the GETs open to whoever reaches the listener, as before

	Fleet FleetFlags // --fleet-* (fleet.go, REFERENCE §12)

	startIgnored []syscall.Signal // HUP, INT ignored when cfkd started (nohup.go)
	execs        int              // execs in place this process went through (upgrade_outcome.go)
	fleetHubs    []string         // the hubs the former cfkd of an upgrade told it was leaving (fleethubs.go)
	shKeeps      bool             // what /bin/sh does: the former cfkd's answer, then serve's (shkeeps.go)
}

// DefaultMaxConnections is --max-connections' default; DefaultTCPIdle the
// idle timeout of a TCP console unless --idle-timeout says otherwise.
const (
	DefaultMaxConnections = 256
	DefaultTCPIdle        = 10 * time.Minute
)

const usage = `cfkd - the cfk process supervisor daemon

Usage: cfkd [options]

Options:
  --home DIR                 state directory (default $HOME/.controlfreak), exported as CFKD_HOME
  -a, --address ADDR         admin console: unix:/path, /path, host:port, :port (localhost)
                             or host (port 11311)
                             (default unix:$home/sock)
  -l, --log-config-file FILE log configuration (default $home/log.config, written when missing)
  -c, --config FILE          load this config file at start (${BASE} = the file's directory)
  -d, --daemon               detach; return once the admin console accepts connections
  -t, --trap                 ignore HUP, INT, TERM and QUIT (stop cfkd with 'cfkctl shutdown')
  --admin-group GROUP[:LEVEL]
                             members of GROUP get LEVEL (read, operate: the default, or
                             admin) on the UNIX socket, made mode 0660 and group GROUP;
                             root and cfkd's own user get admin, anyone else is refused
  --admin-token FILE         a TCP console asks for 'auth TOKEN': FILE holds lines
                             'LEVEL TOKEN [NAME]', mode 0600; re-read on USR1
  --insecure-tcp             a TCP console without tokens: anyone who can connect gets
                             admin on loopback, operate elsewhere (as before tokens)
  --max-connections N        admin connections at once (default 256; at most a quarter
                             of the open files limit)
  --idle-timeout DUR         close an admin connection idle that long (10m, 30s; 0: never;
                             default: never on UNIX, 10m on TCP)
  --command-only             nobody gets more than operate (no declarations)
  --remote-privileged        with --insecure-tcp: admin on a non-loopback address too
                             (deprecated: give tokens with --admin-token instead)
  --http ADDR                serve the status page, its API and /metrics on HOST:PORT
                             (:PORT means localhost; port 0 picks one, logged)
  --http-remote              allow --http on a non-loopback address
  --http-token FILE          allow start/stop/restart from the page and the API to
                             requests carrying the token FILE holds (else read-only);
                             its tokens, read ones too, also read (Authorization: Bearer)
  --insecure-http            let anyone who reaches --http read without a token (as before
                             identities); else only a token, or on loopback the users
                             the UNIX socket lets in (root, cfkd's user, --admin-group)
` + fleetUsage + `  --version                  print the version and exit
  -h, --help                 this help

Signals: USR1 reloads the log configuration and the token file; USR2 upgrades cfkd in place
from its executable as it is on disk now (every service kept); HUP, INT, TERM, QUIT shut down cleanly
(every service stopped, then exit 0) unless --trap.

cfkd --check-upgrade FILE: say whether this binary can take over the state FILE of an upgrade
in place (exit 0 and one line), or not (exit 3).
`

var errHelp = errors.New("help requested")

func parseFlags(args []string, stderr io.Writer) (Flags, error) {
	var f Flags
	fs, help := newFlagSet(&f)
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("cfkd: %s (cfkd --help lists the options)", flagtext.Text(fs, err))
	}
	return f.complete(fs, help, stderr)
}

// newFlagSet is cfkd's flag set, filling f (help: -h or --help given).
// It reads nothing: the start-up scan parses another cfkd's command line
// with it (its home, cfkdHome).
func newFlagSet(f *Flags) (fs *flag.FlagSet, help *bool) {
	fs = flag.NewFlagSet("cfkd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.Home, "home", "", "")
	for _, n := range []string{"a", "address"} {
		fs.StringVar(&f.Address, n, "", "")
	}
	for _, n := range []string{"l", "log-config-file"} {
		fs.StringVar(&f.LogConfig, n, "", "")
	}
	for _, n := range []string{"c", "config"} {
		fs.StringVar(&f.Config, n, "", "")
	}
	for _, n := range []string{"d", "daemon"} {
		fs.BoolVar(&f.Daemon, n, false, "")
	}
	for _, n := range []string{"t", "trap"} {
		fs.BoolVar(&f.Trap, n, false, "")
	}
	fs.BoolVar(&f.Version, "version", false, "")
	fs.BoolVar(&f.CommandOnly, "command-only", false, "")
	fs.BoolVar(&f.RemotePrivileged, "remote-privileged", false, "")
	fs.StringVar(&f.AdminGroup, "admin-group", "", "")
	fs.StringVar(&f.AdminToken, "admin-token", "", "")
	fs.BoolVar(&f.InsecureTCP, "insecure-tcp", false, "")
	fs.IntVar(&f.MaxConnections, "max-connections", DefaultMaxConnections, "")
	fs.Var(durationValue{&f.IdleTimeout, &f.idleSet, minTimeout, true, 0}, "idle-timeout", "")
	fs.StringVar(&f.HTTP, "http", "", "")
	fs.BoolVar(&f.HTTPRemote, "http-remote", false, "")
	fs.StringVar(&f.HTTPToken, "http-token", "", "")
	fs.BoolVar(&f.InsecureHTTP, "insecure-http", false, "")
	f.Fleet.register(fs)
	help = fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	return fs, help
}

// complete checks and completes the flags fs parsed into f.
func (f Flags) complete(fs *flag.FlagSet, help *bool, stderr io.Writer) (Flags, error) {
	if *help {
		fmt.Fprint(stderr, usage)
		return f, errHelp
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("cfkd: unexpected argument %q: cfkd takes only flags (-c FILE loads a config file; cfkd --help lists them)", fs.Arg(0))
	}
	if f.Home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return f, fmt.Errorf("cfkd: no --home and no $HOME: %w", err)
		}
		f.Home = filepath.Join(h, ".controlfreak")
	}
	var err error
	if f.Home, err = filepath.Abs(f.Home); err != nil {
		return f, err
	}
	if f.Address == "" {
		f.Address = "unix:" + filepath.Join(f.Home, "sock")
	}
	if f.LogConfig == "" {
		f.LogConfig, f.LogConfigDefault = filepath.Join(f.Home, "log.config"), true
	}
	if f.LogConfig, err = filepath.Abs(f.LogConfig); err != nil {
		return f, err
	}
	if f.Config != "" {
		if f.Config, err = filepath.Abs(f.Config); err != nil {
			return f, err
		}
	}
	if f.AdminToken != "" {
		if f.AdminToken, err = filepath.Abs(f.AdminToken); err != nil {
			return f, err
		}
	}
	if err := f.Fleet.check(); err != nil {
		return f, err
	}
	if f.CommandOnly && strings.Trim(f.Fleet.Allow, ", ") != "" {
		// a hub is a peer: --command-only caps it as every other
		return f, fmt.Errorf("cfkd: --fleet-allow %s and --command-only exclude each other: --command-only keeps every peer, hubs too, to operate", f.Fleet.Allow)
	}
	if f.MaxConnections < 1 {
		return f, fmt.Errorf("cfkd: --max-connections %d: want at least 1", f.MaxConnections)
	}
	if f.HTTP == "" && (f.HTTPRemote || f.HTTPToken != "" || f.InsecureHTTP) {
		return f, errors.New("cfkd: --http-remote, --http-token and --insecure-http need --http ADDR")
	}
	if f.HTTPToken != "" {
		if f.HTTPToken, err = filepath.Abs(f.HTTPToken); err != nil {
			return f, err
		}
	}
	return f, nil
}

// minTimeout is the least --idle-timeout (but 0, never: REFERENCE §5.4)
// and --fleet-timeout (§12.1): under it, a connection would be closed
// before its client's first request came (root's too: cfkd could not be
// reached at all), or no host could answer in time, the TLS dial
// included.
const minTimeout = 100 * time.Millisecond

// durationValue is a flag.Value for --idle-timeout, --fleet-timeout and
// --fleet-keepalive: a Go duration (10m, 30s) or a number of seconds, 0
// or at least least (never: 0 means none, which the error says), and at
// most most when most is not 0.
type durationValue struct {
	d     *time.Duration
	set   *bool
	least time.Duration
	never bool
	most  time.Duration
}

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	// a value under 1ns is 0 once parsed (0.5ns, 1e-10), which is not
	// the 0 (never) that was written
	tiny := err == nil && d == 0 && strings.ContainsAny(s, "123456789")
	if err != nil {
		n, nerr := strconv.ParseFloat(s, 64)
		if nerr != nil || n > 1<<31 || n != n { // NaN became a negative duration
			return errors.New("want a duration like 10m or 30s, or seconds")
		}
		d = time.Duration(n * float64(time.Second))
		tiny = n > 0 && d == 0
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	if d > 0 && d < v.least || tiny {
		if v.never {
			return fmt.Errorf("want 0 (never) or at least %v", v.least)
		}
		if v.most > 0 {
			return fmt.Errorf("want %v to %v", v.least, v.most)
		}
		return fmt.Errorf("want at least %v", v.least)
	}
	if v.most > 0 && d > v.most {
		return fmt.Errorf("want %v to %v", v.least, v.most)
	}
	*v.d, *v.set = d, true
	return nil
}

// logConfigFlag names the log configuration in messages: `-l` when it was
// given, else `log configuration` (its path follows in each message).
func (f Flags) logConfigFlag() string {
	if f.LogConfigDefault {
		return "log configuration"
	}
	return "-l"
}
