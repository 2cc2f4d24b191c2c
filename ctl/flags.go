package ctl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cfk/cfk/internal/flagtext"
	"github.com/cfk/cfk/internal/suggest"
	"github.com/cfk/cfk/messages"
)

// DefaultTimeout bounds the connect and each reply unless --timeout says
// otherwise. It is generous because cfkd answers a restart, a destroy or a
// shutdown only once the services are down (after up to stopwait_secs).
const DefaultTimeout = 5 * time.Minute

// options are the global flags.
type options struct {
	address string // as the user gave it, or the default
	basedir string
	json    bool
	rolling bool // restart (and apply) one service at a time
	dryRun  bool // apply: print the plan, change nothing
	prune   bool // apply: destroy the services FILE does not declare
	follow  bool // tail: follow the new lines
	lines   int  // tail: how many of the last lines (-n)
	linesOn bool // -n was given, whatever its value (tail only, REFERENCE §8.1)
	help    bool
	version bool
	timeout time.Duration // 0: none
	// tokenFile holds the token sent as `auth TOKEN` on a TCP console
	// (--token-file, else $CFKCTL_TOKEN_FILE; REFERENCE §5.3).
	tokenFile string
	// fleet (fleet.go, REFERENCE §12): the hosts a request goes to, one
	// host at a time, and the members `fleet certs` makes
	hosts        string
	rollingHosts bool
	certHubs     listValue
	certHosts    listValue
	// how often --hosts and --rolling-hosts were given: once at most
	// (fleet_flags.go, REFERENCE §12.7)
	hostsGiven        int
	rollingHostsGiven int
	// binary is the cfkd `upgrade` execs (--binary; REFERENCE §13);
	// binaryGiven counts it given, empty too (`--binary "$NEW"` with NEW
	// unset is no upgrade to cfkd's own binary)
	binary      string
	binaryGiven int
	// addressFromEnv: the address is $CFKCTL_ADDRESS, no -a given (an
	// address that does not parse says where it came from)
	addressFromEnv bool
	// noHome is the default address when neither $CFKCTL_ADDRESS nor
	// $HOME is set ("" otherwise): a failed dial there says why
	noHome string
}

// defaultAddress is $CFKCTL_ADDRESS, or unix:$HOME/.controlfreak/sock.
func defaultAddress(getenv func(string) string) string {
	if a := getenv("CFKCTL_ADDRESS"); a != "" {
		return a
	}
	return "unix:" + getenv("HOME") + "/.controlfreak/sock"
}

// timeoutValue is a flag.Value for --timeout: a Go duration (10s, 1m30s)
// or a number of seconds (10, 0.5); 0 means no limit.
type timeoutValue struct{ d *time.Duration }

func (v timeoutValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v timeoutValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) {
			return errors.New("want a duration like 10s or 1m, or seconds")
		}
		if f > float64(1<<31) {
			return fmt.Errorf("want at most %d seconds", 1<<31)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	if d == 0 && strings.ContainsAny(s, "123456789") {
		// under a nanosecond (0.1ns, 1e-10) it was 0, no limit at all:
		// the opposite of what was asked
		return errors.New("shorter than a nanosecond: give 0 for no limit, or at least 1ns")
	}
	*v.d = d
	return nil
}

// linesValue is a flag.Value for -n (--lines): a whole number. The flag
// package's own says only "parse error" for -n abc; its range (0 to
// messages.MaxTailLines) is checked once the command is known.
type linesValue struct {
	n   *int
	set *bool // made true by Set: -n 20, the default, is still -n
}

func (v linesValue) String() string {
	if v.n == nil {
		return ""
	}
	return strconv.Itoa(*v.n)
}

func (v linesValue) Set(s string) error {
	if strings.HasPrefix(s, "+") {
		// tail(1)'s `-n +5` is "from line 5 on": Atoi took it for 5,
		// and the last 5 lines came, the user none the wiser
		return fmt.Errorf("want a number of lines from 0 to %d (the last ones: tail(1)'s +N, from line N on, is not cfkctl's)", messages.MaxTailLines)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a number of lines from 0 to %d", messages.MaxTailLines)
	}
	*v.n = n
	*v.set = true
	return nil
}

// newFlagSet declares the global flags into o.
func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("cfkctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.address, "address", o.address, "")
	fs.StringVar(&o.address, "a", o.address, "")
	fs.StringVar(&o.basedir, "basedir", "", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.rolling, "rolling", false, "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.BoolVar(&o.prune, "prune", false, "")
	fs.BoolVar(&o.follow, "follow", false, "")
	fs.BoolVar(&o.follow, "f", false, "")
	o.lines = messages.DefaultTailLines
	fs.Var(linesValue{&o.lines, &o.linesOn}, "lines", "")
	fs.Var(linesValue{&o.lines, &o.linesOn}, "n", "")
	fs.BoolVar(&o.help, "help", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.Var(timeoutValue{&o.timeout}, "timeout", "")
	fs.StringVar(&o.tokenFile, "token-file", o.tokenFile, "")
	fs.Var(countedString{&o.hosts, &o.hostsGiven}, "hosts", "")
	fs.Var(countedBool{&o.rollingHosts, &o.rollingHostsGiven}, "rolling-hosts", "")
	fs.Var(&o.certHubs, "hub", "")
	fs.Var(&o.certHosts, "host", "")
	fs.Var(countedString{&o.binary, &o.binaryGiven}, "binary", "")
	return fs
}

// parseFlags parses the global flags, which may come anywhere on the line
// (`cfkctl status --json` works), and returns the other arguments in order.
// After `--` everything is an argument. A lone `-` is an argument (`load -`).
func parseFlags(args []string, getenv func(string) string) (*options, []string, error) {
	o := &options{address: defaultAddress(getenv), timeout: DefaultTimeout, tokenFile: getenv("CFKCTL_TOKEN_FILE")}
	if getenv("CFKCTL_ADDRESS") == "" && getenv("HOME") == "" {
		o.noHome = o.address
	}
	fs := newFlagSet(o)
	var flagArgs, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flagArgs = append(flagArgs, a)
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if typed, _, _ := strings.Cut(a, "="); fs.Lookup(strings.TrimLeft(typed, "-")) == nil {
			if err := signalFlag(a, pos); err != nil {
				return nil, nil, err
			}
			return nil, nil, unknownFlag(fs, typed)
		}
		if strings.Contains(name, "=") {
			continue
		}
		// A flag that takes a value takes the next argument.
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			flagArgs = append(flagArgs, args[i+1])
			i++
		}
	}
	if err := fs.Parse(flagArgs); err != nil {
		return nil, nil, usageErrorf(nil, "%s", flagtext.Text(fs, err))
	}
	o.addressFromEnv = getenv("CFKCTL_ADDRESS") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "a" || f.Name == "address" {
			o.addressFromEnv = false
		}
	})
	return o, pos, nil
}

// unknownFlag is the usage error of a flag cfkctl does not know, named
// as it was typed (the flag package's own text named -n5 '--n5'), with
// what was likely meant (REFERENCE §8.1): a value stuck to a one-letter
// flag, as tail and journalctl take it (-n5: '-n 5'), one-letter flags
// run together (-fn: '-f -n'), or a flag a letter or two away (--jsn:
// '--json').
func unknownFlag(fs *flag.FlagSet, typed string) error {
	name := strings.TrimLeft(typed, "-")
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) > 1 {
			names = append(names, f.Name)
		}
	})
	hint := ""
	if len(name) > 1 && typed[1] != '-' {
		short := fs.Lookup(name[:1])
		split := true // each letter a one-letter flag, a value's the last
		for i := range len(name) {
			f := fs.Lookup(name[i : i+1])
			split = split && f != nil && (isBoolFlag(f) || i == len(name)-1)
		}
		switch {
		case short != nil && !isBoolFlag(short):
			hint = "-" + name[:1] + " " + name[1:]
		case split:
			hint = "-" + strings.Join(strings.Split(name, ""), " -")
		}
	}
	if hint == "" {
		if c := suggest.Closest(name, names); c != "" {
			hint = "--" + c
		}
	}
	if hint != "" {
		return &usageError{msg: fmt.Sprintf("unknown flag '%s' (did you mean '%s'?)", typed, hint), global: true}
	}
	return &usageError{msg: fmt.Sprintf("unknown flag '%s'", typed), global: true}
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
