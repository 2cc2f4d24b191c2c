package messages

import (
	"net"
	"net/netip"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// This file holds the values of the readiness, signal, exit-code and env
// file attributes (REFERENCE §1.1, extensions).

// ReadyKind says how a service tells that it is ready.
type ReadyKind string

// The readiness checks of `ready=` (REFERENCE §2.9).
const (
	ReadyNone   ReadyKind = ""
	ReadyNotify ReadyKind = "notify" // sd_notify(3): READY=1 on NOTIFY_SOCKET
	ReadyTCP    ReadyKind = "tcp"    // tcp:HOST:PORT accepts a connection
	ReadyHTTP   ReadyKind = "http"   // http:URL answers a GET with 2xx
	ReadyExec   ReadyKind = "exec"   // exec:COMMAND exits 0
)

// Ready splits a `ready` value into its kind and target (the address, the
// URL, the command).
func Ready(v string) (ReadyKind, string) {
	if v == string(ReadyNotify) {
		return ReadyNotify, ""
	}
	kind, target, _ := strings.Cut(v, ":")
	return ReadyKind(kind), target
}

// parseReady reads notify, tcp:HOST:PORT, http:URL or exec:COMMAND.
func parseReady(attr, v string) (Value, error) {
	const want = "notify, tcp:HOST:PORT, http:URL as in http:http://HOST:PORT/PATH, or exec:COMMAND"
	kind, target := Ready(v)
	switch kind {
	case ReadyNotify:
		if target != "" || v != string(ReadyNotify) {
			// `notify:x` is no kind: a run declared so got no
			// NOTIFY_SOCKET and no probe, and stayed starting until
			// ready_timeout_secs ended it (REFERENCE §2.9)
			return Value{}, invalidValue(attr, v, want)
		}
	case ReadyTCP:
		host, port, err := net.SplitHostPort(target)
		if err != nil || host == "" || port == "" {
			return Value{}, invalidValue(attr, v, want)
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Value{}, invalidValue(attr, v, want)
		}
		// one spelling of one address: the port without its leading
		// zeros, an IP address as netip writes it (`[::0:1]` is
		// `[::1]`), so that an apply finds `tcp:127.0.0.1:0080` and
		// `tcp:127.0.0.1:80` equal (REFERENCE §1.4); a host name is kept
		if ip, err := netip.ParseAddr(host); err == nil && ip.Zone() == "" {
			host = ip.String()
		}
		return Value{Str: string(ReadyTCP) + ":" + net.JoinHostPort(host, strconv.Itoa(n))}, nil
	case ReadyHTTP:
		// `http:URL`: the URL is http://... (or https://...)
		u, err := url.Parse(target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Value{}, invalidValue(attr, v, want)
		}
		// a port out of 1-65535 is refused here, as tcp:'s is: it was
		// taken, and the probe failed at each try until
		// ready_timeout_secs ended the start (REFERENCE §2.9)
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return Value{}, invalidValue(attr, v, want)
			}
		}
		return Value{Str: string(ReadyHTTP) + ":" + httpSpelling(target, u.Scheme)}, nil
	case ReadyExec:
		if strings.TrimSpace(target) == "" || strings.IndexByte(target, 0) >= 0 {
			return Value{}, invalidValue(attr, v, want)
		}
	default:
		return Value{}, invalidValue(attr, v, want)
	}
	return Value{Str: v}, nil
}

// httpSpelling is one spelling of a ready=http: URL that url.Parse took
// (scheme its scheme, lower case): the scheme and a host name in lower
// case, an IP address as netip writes it (`[0:0::1]` is `[::1]`), the
// port without its leading zeros, so that an apply finds
// `http://H:0080/` and `http://h:80/` equal (REFERENCE §1.4), as a
// ready=tcp: address. Those name the same resource (RFC 3986, section 6.2.2.1),
// the probe connects to the same address and sends what a browser sends
// for either. Everything else is kept as written: the user, the path, the
// query and their escapes (a server may tell `%7e` from `~`, `/A` from
// `/a`), and a default port written out or not (the Host header differs:
// `h:80`, `h`).
func httpSpelling(target, scheme string) string {
	rest := target[strings.Index(target, "://")+len("://"):] // url.Parse found a host: there is one
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	user := ""
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user, authority = authority[:at+1], authority[at+1:]
	}
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i+1:]
	}
	switch {
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		if ip, err := netip.ParseAddr(host[1 : len(host)-1]); err == nil && ip.Zone() == "" {
			host = "[" + ip.String() + "]"
		}
	case !strings.Contains(host, "%"): // a name escaped is kept as it is
		host = asciiLower(host) // an IPv4 address netip takes is written so already
	}
	if port != "" && strings.Trim(port, "0123456789") == "" {
		if port = strings.TrimLeft(port, "0"); port == "" {
			port = "0"
		}
	}
	if port != "" || strings.HasSuffix(authority, ":") {
		host += ":" + port
	}
	return scheme + "://" + user + host + tail
}

// signals are the signals `stop_signal` and the signal verb accept.
var signals = map[string]syscall.Signal{
	"TERM": syscall.SIGTERM, "INT": syscall.SIGINT, "QUIT": syscall.SIGQUIT, "HUP": syscall.SIGHUP,
	"USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "WINCH": syscall.SIGWINCH, "KILL": syscall.SIGKILL,
	"CONT": syscall.SIGCONT, "STOP": syscall.SIGSTOP, "ALRM": syscall.SIGALRM,
}

// stopSignals are those a stop may begin with (KILL comes after stopwait
// anyway; STOP would never end the process).
var stopSignals = []string{"TERM", "INT", "QUIT", "HUP", "USR1", "USR2", "WINCH"}

// ParseSignal reads a signal name, with or without SIG, any case.
func ParseSignal(v string) (syscall.Signal, bool) {
	name := strings.TrimPrefix(asciiUpper(v), "SIG")
	sig, ok := signals[name]
	return sig, ok
}

// SignalName is the name ParseSignal reads back (`TERM`), or the name of
// a signal cfkd sends that no verb takes (`ABRT`, a watchdog's stop,
// REFERENCE §2.9), else its number.
func SignalName(sig syscall.Signal) string {
	if name, ok := signalNames[sig]; ok {
		return name
	}
	if sig == syscall.SIGABRT {
		return "ABRT"
	}
	return strconv.Itoa(int(sig))
}

// signalNames is signals the other way round (each signal has one name).
var signalNames = func() map[syscall.Signal]string {
	m := make(map[syscall.Signal]string, len(signals))
	for name, sig := range signals {
		m[sig] = name
	}
	return m
}()

func parseStopSignal(attr, v string) (Value, error) {
	sig, ok := ParseSignal(v)
	name := SignalName(sig)
	for _, s := range stopSignals {
		if ok && s == name {
			return Value{Int: int(sig)}, nil
		}
	}
	return Value{}, invalidValue(attr, v, strings.Join(stopSignals, ", ")+" (with or without SIG)")
}

// parseExitCodes reads a comma list of exit codes, 0 to 255.
func parseExitCodes(attr, v string) (Value, error) {
	seen := map[int]bool{}
	var codes []string
	for _, c := range strings.Split(removeBytes(v, spaceChars), ",") {
		if c == "" {
			continue
		}
		n, err := strconv.Atoi(c)
		if err != nil || !digitsRe.MatchString(c) || n > 255 {
			return Value{}, invalidValue(attr, c, "comma-separated exit codes from 0 to 255")
		}
		if !seen[n] {
			seen[n] = true
			codes = append(codes, strconv.Itoa(n))
		}
	}
	if len(codes) == 0 {
		return Value{Unset: true}, nil
	}
	sort.Slice(codes, func(i, j int) bool { a, _ := strconv.Atoi(codes[i]); b, _ := strconv.Atoi(codes[j]); return a < b })
	return Value{List: codes}, nil
}

// parseEnvFile reads a path, absolute or relative to the service's cwd.
func parseEnvFile(attr, v string) (Value, error) {
	if strings.IndexByte(v, 0) >= 0 || path.Clean(v) == "." {
		return Value{}, invalidValue(attr, v, "a file path")
	}
	return Value{Str: v}, nil
}

// ExitCodes turns the success_exit_codes of a declaration into numbers.
func ExitCodes(list []string) []int {
	out := make([]int, 0, len(list))
	for _, c := range list {
		if n, err := strconv.Atoi(c); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
