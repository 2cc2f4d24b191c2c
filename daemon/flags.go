package daemon

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Flags are cfkd's command-line options (REFERENCE §7).
type Flags struct {
	Home             string
	Address          string
	LogConfig        string
	Config           string
	Daemon           bool
	Trap             bool
	Version          bool
	CommandOnly      bool
	RemotePrivileged bool
	HTTP             string // --http ADDR: the status page and /metrics (REFERENCE §10)
	HTTPRemote       bool
	HTTPToken        string
}

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
  -t, --trap                 ignore HUP, INT and TERM (stop cfkd with 'cfkctl shutdown')
  --command-only             the console accepts only 'command ...' lines
  --remote-privileged        allow declarations on a TCP console on a non-loopback address
                             (anyone reaching it can run any command as cfkd's user)
  --http ADDR                serve the status page, its API and /metrics on HOST:PORT
                             (:PORT means localhost; port 0 picks one, logged)
  --http-remote              allow --http on a non-loopback address
  --http-token FILE          allow start/stop/restart from the page and the API to
                             requests carrying the token FILE holds (else read-only)
  --version                  print the version and exit
  -h, --help                 this help

Signals: USR1 reloads the log configuration; HUP, INT, TERM shut down cleanly
(every service stopped, then exit 0) unless --trap.
`

var errHelp = errors.New("help requested")

func parseFlags(args []string, stderr io.Writer) (Flags, error) {
	var f Flags
	fs := flag.NewFlagSet("cfkd", flag.ContinueOnError)
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
	fs.StringVar(&f.HTTP, "http", "", "")
	fs.BoolVar(&f.HTTPRemote, "http-remote", false, "")
	fs.StringVar(&f.HTTPToken, "http-token", "", "")
	help := fs.Bool("help", false, "")
	fs.BoolVar(help, "h", false, "")
	if err := fs.Parse(args); err != nil {
		fmt.Fprint(stderr, usage)
		return f, fmt.Errorf("cfkd: %w", err)
	}
	if *help {
		fmt.Fprint(stderr, usage)
		return f, errHelp
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, usage)
		return f, fmt.Errorf("cfkd: unexpected argument %q", fs.Arg(0))
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
		f.LogConfig = filepath.Join(f.Home, "log.config")
	}
	if f.LogConfig, err = filepath.Abs(f.LogConfig); err != nil {
		return f, err
	}
	if f.Config != "" {
		if f.Config, err = filepath.Abs(f.Config); err != nil {
			return f, err
		}
	}
	if f.HTTP == "" && (f.HTTPRemote || f.HTTPToken != "") {
		fmt.Fprint(stderr, usage)
		return f, errors.New("cfkd: --http-remote and --http-token need --http ADDR")
	}
	if f.HTTPToken != "" {
		if f.HTTPToken, err = filepath.Abs(f.HTTPToken); err != nil {
			return f, err
		}
	}
	return f, nil
}
