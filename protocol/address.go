package protocol

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// DefaultPort is cfkd's TCP port when an address names a host alone.
const DefaultPort = "11311"

// ParseAddress turns an admin address as the user writes it (cfkd -a,
// cfkctl --address) into a network and an address for net.Listen or
// net.Dial (REFERENCE §7, §8). It is the one parser of these forms:
//   - `unix:PATH`, `/PATH`, and `REL/PATH` (holds a `/` but no `:`) are
//     UNIX sockets; a relative path is relative to the current directory;
//   - `HOST:PORT` (`[::1]:PORT` for IPv6) is TCP; trailing slashes are
//     dropped as the original did;
//   - `HOST` alone (or a bare IPv6 address) is TCP on DefaultPort;
//   - a `tcp:` prefix is allowed and ignored; `:PORT` means localhost.
func ParseAddress(addr string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(addr, "unix:"):
		path := strings.TrimPrefix(addr, "unix:")
		if path == "" {
			return "", "", fmt.Errorf("invalid address '%s': no socket path", addr)
		}
		return "unix", path, nil
	case strings.HasPrefix(addr, "/"),
		strings.Contains(addr, "/") && !strings.Contains(addr, ":"):
		return "unix", addr, nil
	}
	hp := strings.TrimRight(strings.TrimPrefix(addr, "tcp:"), "/")
	if hp == "" {
		return "", "", fmt.Errorf("invalid address '%s'", addr)
	}
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		// No port: a host name, an IPv4 address, or an IPv6 address with
		// or without brackets.
		host = hp
		if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		if strings.ContainsAny(host, "[]") || strings.Count(host, ":") == 1 {
			return "", "", fmt.Errorf("invalid address '%s'", addr)
		}
		if ip, zone, _ := strings.Cut(host, "%"); strings.Contains(host, ":") && (net.ParseIP(ip) == nil || strings.Contains(zone, ":")) {
			// Colons and no port: only an IPv6 address may have them (its
			// zone none: fe80::1%eth0:7000 lacks the brackets of a port)
			return "", "", fmt.Errorf("invalid address '%s'", addr)
		}
		return "tcp", net.JoinHostPort(host, DefaultPort), nil
	}
	if port == "" {
		return "", "", fmt.Errorf("invalid address '%s': no port", addr)
	}
	// a number is a port of 0 to 65535; a name (`http`) is the
	// services database's, looked up by the dial or the listen; a sign
	// before the digits is read as a number's there (-1 is a bad port)
	digits, neg := strings.CutPrefix(port, "-")
	if !neg {
		digits = strings.TrimPrefix(port, "+")
	}
	if n, err := strconv.ParseUint(digits, 10, 64); err == nil && (n > 65535 || neg && n != 0) || err != nil && isDigits(digits) {
		return "", "", fmt.Errorf("invalid address '%s': port %s out of range (0 to 65535)", addr, port)
	}
	if host == "" {
		host = "localhost"
	}
	return "tcp", net.JoinHostPort(host, port), nil
}

// isDigits says whether s is digits only (a number too large to parse).
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
