package messages

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the VALUE half of `NAME ATTR=VALUE` (REFERENCE §1.1 to §1.3): the
// clean-up shared by every attribute, then one small parser per kind of
// value. Each parser gets the cleaned, non-empty value and returns a Value
// or an error made by invalidValue.

// valueParser turns a cleaned, non-empty VALUE into a Value.
type valueParser func(attr, v string) (Value, error)

// The attribute tables: which attributes exist and how their values parse.
// They are never written after initialisation.
var (
	serviceAttrs = map[ServiceAttr]valueParser{
		SvcCmd:                 parseCmd,
		SvcDesc:                parseDesc,
		SvcTags:                parseTags,
		SvcAddEnv:              parseAddEnv,
		SvcTieStdinTo:          parseSocketRef,
		SvcListenSockets:       parseSocketList,
		SvcIgnoreStdout:        parseBool,
		SvcIgnoreStderr:        parseBool,
		SvcRespawnOnFail:       parseBool,
		SvcRespawnOnStop:       parseBool,
		SvcRespawnMaxRetries:   parsePositiveInt,
		SvcStartwaitSecs:       parseSeconds,
		SvcStopwaitSecs:        parseSeconds,
		SvcRestartMaxDelaySecs: parseSeconds,
		SvcRestartResetSecs:    parseSeconds,
		SvcReady:               parseReady,
		SvcReadyTimeoutSecs:    parseSeconds,
		SvcStopSignal:          parseStopSignal,
		SvcSuccessExitCodes:    parseExitCodes,
		SvcEnvFile:             parseEnvFile,
		SvcWatchdogSecs:        parseSeconds,
		SvcNoNewSession:        parseBool,
		SvcCwd:                 parseCwd,
		SvcUser:                parseAccount,
		SvcGroup:               parseAccount,
		SvcRequires:            parseServiceList,
		SvcOneShot:             parseBool,
		SvcUmask:               parseUmask,
		SvcLimitNofile:         parseLimitNofile,
	}
	socketAttrs = map[SocketAttr]valueParser{
		SockHost:        parseHost,
		SockService:     parseSockService,
		SockNonblocking: parseBool,
		SockListenQsize: parseQsize,
		SockUser:        parseAccount,
		SockGroup:       parseAccount,
		SockMode:        parseMode,
		SockIPv6Only:    parseBool,
	}
	proxyAttrs = map[ProxyAttr]valueParser{
		ProxyCmd:    parseCmd,
		ProxyDesc:   parseDesc,
		ProxyNoauto: parseBool,
		ProxyAddEnv: parseAddEnv,
	}
)

var (
	tagRe     = regexp.MustCompile(`^[\w.-]+$`)
	envKeyRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	accountRe = regexp.MustCompile(`^[A-Za-z0-9_.][A-Za-z0-9_.-]*$`)
	secondsRe = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	digitsRe  = regexp.MustCompile(`^[0-9]+$`)
	octalRe   = regexp.MustCompile(`^[0-7]{1,4}$`)
	hostRe    = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)
)

// maxWaitSecs bounds startwait_secs and stopwait_secs: one day.
const maxWaitSecs = 86400

// invalidValue builds the one error format for a bad value; it wraps
// ErrInvalidValue so that its text starts with the original's
// `invalid value`.
func invalidValue(attr, v, want string) error {
	return fmt.Errorf("%w for %s: %q (want %s)", ErrInvalidValue, attr, v, want)
}

// parseValue cleans the raw VALUE (everything after the first `=`) and hands
// it to p. An empty cleaned value unsets the attribute whatever its kind.
func parseValue(attr, raw string, p valueParser) (Value, error) {
	v, err := cleanValue(attr, raw)
	if err != nil {
		return Value{}, err
	}
	if v == "" {
		return Value{Unset: true}, nil
	}
	return p(attr, v)
}

// cleanValue trims leading white space and, when the value starts with a
// quote, keeps what lies between it and the last occurrence of the same
// quote (anything after that one is dropped, as in the original).
func cleanValue(attr, raw string) (string, error) {
	v := strings.TrimLeft(raw, spaceChars)
	if v == "" || (v[0] != '"' && v[0] != '\'') {
		return v, nil
	}
	end := strings.LastIndexByte(v, v[0])
	if end == 0 && (attr == string(SvcAddEnv) || attr == string(ProxyAddEnv)) {
		return "", fmt.Errorf("%w for %s: %s... (want a closing %s quote; the value is not shown: it may be a secret)", ErrInvalidValue, attr, v[:1], v[:1])
	}
	if end == 0 {
		return "", invalidValue(attr, v, "a closing "+v[:1]+" quote")
	}
	return v[1:end], nil
}

// parseCmd reads a command: a JSON array of strings when it starts with
// `[`, a plain string otherwise.
func parseCmd(attr, v string) (Value, error) {
	if strings.IndexByte(v, 0) >= 0 {
		return Value{}, invalidValue(attr, v, "a command without NUL bytes")
	}
	if v[0] != '[' {
		return Value{Str: v}, nil
	}
	argv, ok := jsonArgv(v)
	if !ok {
		return Value{}, invalidValue(attr, v, `a JSON array of strings like ["prog", "arg"]`)
	}
	return Value{Argv: argv}, nil
}

// jsonArgv decodes a non-empty JSON array of strings whose first item (the
// program) is not empty. Items that are not strings (null included) fail,
// and so does text that is not UTF-8: encoding/json would replace each bad
// byte with U+FFFD, and the service would run another argv than the one
// its desc line shows (the original's decode_json refused it too).
func jsonArgv(v string) ([]string, bool) {
	if !utf8.ValidString(v) {
		return nil, false
	}
	var items []any
	if err := json.Unmarshal([]byte(v), &items); err != nil || len(items) == 0 {
		return nil, false
	}
	argv := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok || strings.IndexByte(s, 0) >= 0 {
			return nil, false
		}
		argv[i] = s
	}
	if argv[0] == "" {
		return nil, false
	}
	return argv, true
}

// parseDesc keeps one line of free text: CR, LF, TAB and NUL are removed.
// Nothing left unsets it.
func parseDesc(_, v string) (Value, error) {
	s := removeBytes(v, "\r\n\t\x00")
	if s == "" {
		return Value{Unset: true}, nil
	}
	return Value{Str: s}, nil
}

// parseTags reads a comma list: white space removed, empty items dropped,
// duplicates dropped keeping the first-seen order. No tag left unsets.
func parseTags(attr, v string) (Value, error) {
	var tags []string
	seen := make(map[string]bool)
	for _, t := range strings.Split(removeBytes(v, spaceChars), ",") {
		if t == "" || seen[t] {
			continue
		}
		if !tagRe.MatchString(t) {
			return Value{}, invalidValue(attr, t, "comma-separated tags of letters, digits, '_', '.' or '-'")
		}
		seen[t] = true
		tags = append(tags, t)
	}
	if len(tags) == 0 {
		return Value{Unset: true}, nil
	}
	return Value{List: tags}, nil
}

// parseAddEnv reads `KEY=VALUE`; VALUE may be empty. Its errors never
// quote VALUE, nor a text with no `=` (a value whose KEY was left out): a
// value may be a secret, and the error goes to the log of a config file
// and to the reply of an apply (REFERENCE §1.1, §5.5).
func parseAddEnv(attr, v string) (Value, error) {
	key, val, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return Value{}, addEnvError(attr, "no '=' (the text is not shown: it may be a secret)")
	case !envKeyRe.MatchString(key):
		return Value{}, addEnvError(attr, fmt.Sprintf("KEY %q (the value is not shown: it may be a secret)", key))
	case strings.IndexByte(val, 0) >= 0:
		return Value{}, addEnvError(attr, fmt.Sprintf("the value of %s holds a NUL byte (the value is not shown: it may be a secret)", key))
	}
	return Value{Key: key, Str: val}, nil
}

// addEnvError is invalidValue for add_env, WHAT said in place of the
// value.
func addEnvError(attr, what string) error {
	return fmt.Errorf("%w for %s: %s (want KEY=VALUE with KEY made of letters, digits and '_', not starting with a digit)", ErrInvalidValue, attr, what)
}

// parseSocketRef reads the name of a socket (tie_stdin_to).
func parseSocketRef(attr, v string) (Value, error) {
	if !ValidName(v) {
		return Value{}, invalidValue(attr, v, "a socket name")
	}
	return Value{Str: v}, nil
}

// parseSocketList reads a comma list of socket names (listen_sockets).
// A name given twice is refused, where tags and requires drop it: each
// name is an fd (3, 4, ...) and an entry of LISTEN_FDNAMES, and dropping
// one would move the fds after it (REFERENCE §1.1).
func parseSocketList(attr, v string) (Value, error) {
	return parseNameList(attr, v, "comma-separated socket names", true)
}

// parseServiceList reads a comma list of service names (requires). A name
// need not be declared yet: config order does not matter (REFERENCE §2.8).
func parseServiceList(attr, v string) (Value, error) {
	return parseNameList(attr, v, "comma-separated service names", false)
}

// parseNameList reads a comma list of names: white space around each
// name removed, empty items dropped, duplicates dropped keeping the
// first-seen order (refused with once). No name left unsets. A bad name is
// quoted in the error, with want. White space inside an item is refused
// rather than removed: `requires=db cache` (systemd's Requires= and
// After=, which cfkctl names as requires, are space-separated) meant two
// names, not "dbcache" (REFERENCE §1.1).
func parseNameList(attr, v, want string, once bool) (Value, error) {
	var names []string
	seen := make(map[string]bool)
	for _, n := range strings.Split(v, ",") {
		n = strings.Trim(n, spaceChars)
		if n == "" {
			continue
		}
		if strings.ContainsAny(n, spaceChars) {
			return Value{}, invalidValue(attr, n, want)
		}
		if seen[n] {
			if once {
				return Value{}, invalidValue(attr, n, want+", each once")
			}
			continue
		}
		if !ValidName(n) {
			return Value{}, invalidValue(attr, n, want)
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) == 0 {
		return Value{Unset: true}, nil
	}
	return Value{List: names}, nil
}

// parseCwd reads an absolute directory path.
func parseCwd(attr, v string) (Value, error) {
	if !path.IsAbs(v) || strings.IndexByte(v, 0) >= 0 {
		return Value{}, invalidValue(attr, v, "an absolute directory path")
	}
	return Value{Str: v}, nil
}

// parseAccount reads a user or group: a name or a numeric id. A numeric
// id is 0 to 4294967294 (REFERENCE §1.1): 4294967295 is (uid_t)-1, which
// setresuid, setgid and chown read as "leave it as it is", and which the
// kernel refuses in setgroups, so a service declared with it failed at
// each launch as 'exec PROG: invalid argument'; systemd's User= and
// Group= refuse it too. Ids beyond 32 bits are no ids at all.
func parseAccount(attr, v string) (Value, error) {
	if !accountRe.MatchString(v) {
		return Value{}, invalidValue(attr, v, "a name or a numeric id")
	}
	if digitsRe.MatchString(v) {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == math.MaxUint32 {
			return Value{}, invalidValue(attr, v, "a name or a numeric id from 0 to 4294967294")
		}
		// the id without its leading zeros, as the lookup reads it
		// (`007` is uid 7): an apply finds `user=007` and `user=7`
		// equal (REFERENCE §1.4). A name is kept as it is: which id it
		// is, is the name service's to say, at the launch
		return Value{Str: strconv.FormatUint(n, 10)}, nil
	}
	return Value{Str: v}, nil
}

// parseBool reads the boolean spellings of REFERENCE §1.1, case-insensitively
// (ASCII only: no Unicode folding lets `yeſ` pass for `yes`).
func parseBool(attr, v string) (Value, error) {
	switch asciiLower(v) {
	case "1", "true", "on", "yes", "enabled":
		return Value{Bool: true}, nil
	case "0", "false", "off", "no", "disabled":
		return Value{Bool: false}, nil
	}
	return Value{}, invalidValue(attr, v, "1/0, true/false, on/off, yes/no or enabled/disabled")
}

// parsePositiveInt reads a decimal integer >= 1 (digits only, no sign).
func parsePositiveInt(attr, v string) (Value, error) {
	n, ok := positiveInt(v)
	if !ok {
		return Value{}, invalidValue(attr, v, "an integer >= 1")
	}
	return Value{Int: n}, nil
}

// positiveInt parses digits only into an int in 1..MaxInt.
func positiveInt(v string) (int, bool) {
	if !digitsRe.MatchString(v) {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1
}

// parseSeconds reads a plain decimal number of seconds in 0..86400.
func parseSeconds(attr, v string) (Value, error) {
	want := fmt.Sprintf("a number of seconds >= 0 and <= %d", maxWaitSecs)
	if !secondsRe.MatchString(v) {
		return Value{}, invalidValue(attr, v, want)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f > maxWaitSecs {
		return Value{}, invalidValue(attr, v, want)
	}
	return Value{Num: f}, nil
}

// parseHost reads a socket host: `unix/`, an IP literal (IPv6 with or
// without brackets, stored without) or a host name.
func parseHost(attr, v string) (Value, error) {
	if v == "unix/" {
		return Value{Str: v}, nil
	}
	inner, bracketed := v, false
	if len(v) >= 2 && v[0] == '[' && v[len(v)-1] == ']' {
		inner, bracketed = v[1:len(v)-1], true
	}
	if strings.Contains(inner, ":") {
		if _, err := netip.ParseAddr(inner); err == nil {
			return Value{Str: inner}, nil
		}
	} else if !bracketed && hostRe.MatchString(inner) {
		return Value{Str: inner}, nil
	}
	return Value{}, invalidValue(attr, v, "an IP address, [IPv6], a host name or unix/")
}

// parseSockService reads a port, a service name or a UNIX socket path. Which
// one is allowed depends on host, which the socket actor checks; here any
// word without white space or NUL passes.
func parseSockService(attr, v string) (Value, error) {
	if strings.ContainsFunc(v, unicode.IsSpace) || strings.IndexByte(v, 0) >= 0 {
		return Value{}, invalidValue(attr, v, "a port, a service name or a path, without white space")
	}
	return Value{Str: v}, nil
}

// parseQsize reads a listen backlog: a positive integer that fits a C int,
// or `max` (any case) for SOMAXCONN, stored as 0.
func parseQsize(attr, v string) (Value, error) {
	if asciiLower(v) == "max" {
		return Value{Int: 0}, nil
	}
	n, ok := positiveInt(v)
	if !ok || n > math.MaxInt32 {
		return Value{}, invalidValue(attr, v, "an integer >= 1 or max")
	}
	return Value{Int: n}, nil
}

// parseMode reads the permission bits of a UNIX socket's file: octal,
// with or without a leading 0 (`0660`, `660`), 0 to 0777 (no setuid,
// setgid or sticky bit), stored as four digits (`0660`).
func parseMode(attr, v string) (Value, error) {
	return parseOctalBits(attr, v, "octal permission bits 0 to 0777, like 0660")
}

// parseUmask reads a umask (REFERENCE §1.1): octal, as supervisord's
// umask= and systemd's UMask= take it, kept as 4 digits (022: 0022).
func parseUmask(attr, v string) (Value, error) {
	return parseOctalBits(attr, v, "an octal umask 0 to 0777, like 0022")
}

// parseOctalBits reads 1 to 4 octal digits, 0 to 0777, stored as four
// (`660`: `0660`); want is the error's.
func parseOctalBits(attr, v, want string) (Value, error) {
	n, err := strconv.ParseUint(v, 8, 32)
	if err != nil || n > 0o777 || !octalRe.MatchString(v) {
		return Value{}, invalidValue(attr, v, want)
	}
	return Value{Str: fmt.Sprintf("%04o", n)}, nil
}

// MaxNofile is the most open files limit_nofile takes: the kernel's
// bound on fs.nr_open (sysctl_nr_open_max, on 64 bits).
const MaxNofile = 1073741816

// parseLimitNofile reads limit_nofile (REFERENCE §1.1): N (soft and hard,
// as systemd's LimitNOFILE=N) or SOFT:HARD, SOFT <= HARD, each 1 to
// MaxNofile; kept as "SOFT:HARD".
func parseLimitNofile(attr, v string) (Value, error) {
	bad := func() (Value, error) {
		return Value{}, invalidValue(attr, v, fmt.Sprintf("N or SOFT:HARD, numbers of open files from 1 to %d, SOFT <= HARD", MaxNofile))
	}
	soft, hard, two := strings.Cut(v, ":")
	if !two {
		hard = soft
	}
	if !digitsRe.MatchString(soft) || !digitsRe.MatchString(hard) {
		return bad()
	}
	s, err1 := strconv.ParseUint(soft, 10, 64)
	h, err2 := strconv.ParseUint(hard, 10, 64)
	if err1 != nil || err2 != nil || s < 1 || h > MaxNofile || s > h {
		return bad()
	}
	return Value{Str: fmt.Sprintf("%d:%d", s, h)}, nil
}

// ParseNofile reads a limit_nofile value as ServiceConfig keeps it
// ("SOFT:HARD"); ok false for any other text.
func ParseNofile(v string) (soft, hard uint64, ok bool) {
	a, b, two := strings.Cut(v, ":")
	s, err1 := strconv.ParseUint(a, 10, 64)
	h, err2 := strconv.ParseUint(b, 10, 64)
	return s, h, two && err1 == nil && err2 == nil
}

// asciiLower lowercases ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// removeBytes drops from s every byte found in set (ASCII only). It works
// on bytes, so invalid UTF-8 elsewhere in s is kept as it is.
func removeBytes(s, set string) string {
	if !strings.ContainsAny(s, set) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			b = append(b, s[i])
		}
	}
	return string(b)
}
