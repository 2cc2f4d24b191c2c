package logconf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// destKind says where a destination writes.
type destKind int

const (
	destNone destKind = iota // the zero value: drop the entries
	destFile
	destStderr
	destStdout
)

// dest is one destination as written in the file: file:PATH (PATH kept as
// written, resolved against the home directory by the Router), stderr,
// stdout or none.
type dest struct {
	kind destKind
	path string
}

func (d dest) String() string {
	switch d.kind {
	case destFile:
		return "file:" + d.path
	case destStderr:
		return "stderr"
	case destStdout:
		return "stdout"
	default:
		return "none"
	}
}

// Config is a parsed, validated log configuration. Get one from Parse or
// Default; the zero Config drops everything.
type Config struct {
	level      logrus.Level
	json       bool
	cfkd       dest
	services   dest
	audit      dest            // category audit (who did what, REFERENCE §5.5), when auditSet
	auditSet   bool            // else the audit records go where cfkd's events go
	service    map[string]dest // "NAME" (both streams), "NAME.out", "NAME.err"
	maxSizeMB  int
	maxBackups int
	// trustGroups: the groups whose members may change the directories of
	// a file destination's path, as root may (REFERENCE §6.1)
	trustGroups []uint32
}

// auditDest is where the audit records go.
func (c *Config) auditDest() dest {
	if c.auditSet {
		return c.audit
	}
	return c.cfkd
}

// Level is the lowest level logged, for cfkd's events and service output.
func (c *Config) Level() logrus.Level { return c.level }

// Format is "text" or "json".
func (c *Config) Format() string {
	if c.json {
		return "json"
	}
	return "text"
}

// Default is the configuration of DefaultText: level info, text format,
// cfkd's events and every service's output to cfkd.log in the home
// directory, no size-based rotation, 5 backups.
func Default() *Config {
	d := dest{kind: destFile, path: "cfkd.log"}
	return &Config{
		level: logrus.InfoLevel, cfkd: d, services: d,
		service: map[string]dest{}, maxBackups: 5,
	}
}

// DefaultText is the content written to a missing log configuration file;
// it parses to Default().
func DefaultText() string { return defaultText }

const defaultText = `# cfkd log configuration.
# Re-read on SIGUSR1 (kill -USR1 $(cat ~/.controlfreak/lock)); a file with an
# error is refused as a whole: the previous configuration stays and cfkd logs why.
#
# One "key = value" per line. "#" starts a comment (at the start of a line or
# after a blank); blank lines are ignored. Each key at most once.
#
# A destination is file:PATH (PATH relative to cfkd's home directory unless
# absolute; the directory must exist; the file is created with mode 0600),
# stderr, stdout or none. Several keys may name the same file.
#
# Text records are "TIME PID LEVEL CATEGORY - MESSAGE": TIME is RFC 3339 with
# milliseconds in local time, PID the service pid or "-", CATEGORY "cfkd" (or
# the event's own category) for cfkd's events, service.NAME.out or
# service.NAME.err for a line a service wrote. cfkd's events end with their
# fields as " key=value"; service lines are printed as written.
# JSON records are one object per line: time, level, category, pid, msg and
# the other fields.

# Lowest level logged: trace, debug, info, warn or error.
# Service stdout lines are logged at info, stderr lines at error.
level = info

# text or json.
format = text

# cfkd's own events.
cfkd = file:cfkd.log

# Every service's output (when this key is absent: the same as cfkd).
services = file:cfkd.log

# The audit records (category audit: every request that changes something,
# every refusal, with who made it; when this key is absent: the same as cfkd):
# audit = file:audit.log

# One service's output (overrides services), or only one of its streams
# (overrides both):
# service.web1 = file:web1.log
# service.web1.err = file:web1.err.log

# Size-based rotation: above 0, a file that would grow past max_size_mb MiB is
# renamed NAME-TIMESTAMP.EXT and a fresh one started, keeping max_backups of
# the renamed files (0 keeps all of them). At 0, leave rotation to an outside
# tool: logrotate moves the file, then sends SIGUSR1 and cfkd re-opens it.
max_size_mb = 0
max_backups = 5

# A file destination whose path another user could redirect is refused. That
# includes a directory a group other than root's may write (Ubuntu's /var/log,
# group syslog); trust_groups lists, by id, the groups trusted there as root:
# trust_groups = 104
`

// ParseError is a problem on one line of a configuration file.
type ParseError struct {
	Name string // the file name given to Parse
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

// serviceName is REFERENCE §1.1's service name syntax.
var serviceName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

var levels = map[string]logrus.Level{
	"trace": logrus.TraceLevel, "debug": logrus.DebugLevel, "info": logrus.InfoLevel,
	"warn": logrus.WarnLevel, "error": logrus.ErrorLevel,
}

// Parse reads a configuration file; name prefixes error messages. The
// first problem found is returned as a *ParseError naming its line; a read
// error is returned wrapped.
func Parse(name string, r io.Reader) (*Config, error) {
	c := Default()
	servicesSet := false
	seen := map[string]int{} // key -> line
	// a byte order mark skipped, as a config file's (cfkd -c)
	sc := bufio.NewScanner(protocol.NewFileReader(r))
	// every line of a file readConfig takes: a long one is named by its
	// error below ("bufio.Scanner: token too long" named none)
	sc.Buffer(nil, MaxConfigSize+1)
	for n := 1; sc.Scan(); n++ {
		line := stripComment(sc.Text())
		if line == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return &ParseError{Name: name, Line: n, Msg: fmt.Sprintf(format, args...)}
		}
		key, val, ok := strings.Cut(line, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" {
			if len(line) > 80 {
				line = line[:80] + "..."
			}
			return nil, bad("expected \"key = value\", got %q", line)
		}
		if val == "" {
			return nil, bad("missing value for %q", key)
		}
		if first, dup := seen[key]; dup {
			return nil, bad("duplicate key %q (first set on line %d)", key, first)
		}
		seen[key] = n
		switch {
		case key == "level":
			lv, ok := levels[val]
			if !ok {
				return nil, bad("unknown level %q", val)
			}
			c.level = lv
		case key == "format":
			switch val {
			case "text":
				c.json = false
			case "json":
				c.json = true
			default:
				return nil, bad("unknown format %q", val)
			}
		case key == "cfkd", key == "services", key == "audit", strings.HasPrefix(key, "service."):
			d, err := parseDest(val)
			if err != nil {
				return nil, bad("%s", err)
			}
			switch key {
			case "cfkd":
				c.cfkd = d
			case "services":
				c.services, servicesSet = d, true
			case "audit":
				c.audit, c.auditSet = d, true
			default:
				sk, ok := serviceKey(key)
				if !ok {
					return nil, bad("bad key %q (want service.NAME, service.NAME.out or service.NAME.err)", key)
				}
				c.service[sk] = d
			}
		case key == "trust_groups":
			for _, g := range strings.Split(val, ",") {
				n, err := strconv.ParseUint(strings.TrimSpace(g), 10, 32)
				if err != nil || n == math.MaxUint32 {
					return nil, bad("bad trust_groups %q (want group ids: 104,4242)", val)
				}
				c.trustGroups = append(c.trustGroups, uint32(n))
			}
		case key == "max_size_mb", key == "max_backups":
			// digits alone: Atoi's sign ("-0", "+5") is no whole number written
			v, err := strconv.Atoi(val)
			digits := val != "" && strings.TrimLeft(val, "0123456789") == ""
			// max_size_mb: a whole number past an int's range is past its bound too
			tooLarge := key == "max_size_mb" && digits && errors.Is(err, strconv.ErrRange)
			// max_backups: it keeps them all, as the largest int does
			// (refused, its error asked for what it was given)
			if key == "max_backups" && digits && errors.Is(err, strconv.ErrRange) {
				v, err = math.MaxInt, nil
			}
			if (err != nil && !tooLarge) || v < 0 || !digits {
				return nil, bad("bad %s %q (want a whole number >= 0)", key, val)
			}
			if key == "max_size_mb" && (tooLarge || v > maxSizeMBLimit) { // its bytes must fit an int64
				return nil, bad("bad %s %q (want a whole number from 0 to %d)", key, val, maxSizeMBLimit)
			}
			if key == "max_size_mb" {
				c.maxSizeMB = v
			} else {
				c.maxBackups = v
			}
		default:
			return nil, bad("unknown key %q", key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	if !servicesSet {
		c.services = c.cfkd
	}
	return c, nil
}

// stripComment drops a comment ("#" at the start or after a blank) and the
// surrounding blanks.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			s = s[:i]
			break
		}
	}
	return strings.TrimSpace(s)
}

func parseDest(v string) (dest, error) {
	switch v {
	case "stderr":
		return dest{kind: destStderr}, nil
	case "stdout":
		return dest{kind: destStdout}, nil
	case "none":
		return dest{kind: destNone}, nil
	}
	if p, ok := strings.CutPrefix(v, "file:"); ok {
		if p == "" {
			return dest{}, errors.New(`empty path in "file:"`)
		}
		// "file: app.log" (the blank of "key: value") named a file
		// " app.log" in the home directory, made there silently
		// (REFERENCE §6.1)
		if p[0] == ' ' || p[0] == '\t' {
			return dest{}, fmt.Errorf(`bad destination %q (white space after "file:": write the path right after the colon, file:PATH)`, v)
		}
		return dest{kind: destFile, path: p}, nil
	}
	return dest{}, fmt.Errorf("bad destination %q (want file:PATH, stderr, stdout or none)", v)
}

// serviceKey turns service.NAME[.out|.err] into NAME[.out|.err].
func serviceKey(key string) (string, bool) {
	rest := strings.TrimPrefix(key, "service.")
	name, ok := strings.CutSuffix(rest, ".out")
	if !ok {
		name = strings.TrimSuffix(rest, ".err")
	}
	return rest, serviceName.MatchString(name)
}

// EnsureFile writes DefaultText to path (mode 0600) if nothing is there. An
// existing file is left alone, whatever it holds.
func EnsureFile(path string) error {
	_, err := EnsureFileMade(path)
	return err
}

// EnsureFileMade is EnsureFile, saying whether it wrote the file: a start
// of cfkd refused after it removes the file it made (REFERENCE §7.4).
func EnsureFileMade(path string) (made bool, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("writing default log config: %w", err)
	}
	_, err = io.WriteString(f, defaultText)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // a half-written file would be read as the config next time
		return false, fmt.Errorf("writing default log config: %w", err)
	}
	return true, nil
}
