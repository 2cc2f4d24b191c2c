package messages

import (
	"fmt"
	"os"
	"strings"
)

// SocketConfig is what a shared socket is declared to be (REFERENCE §1.2). Like
// ServiceConfig it is a value: Apply returns a new one.
type SocketConfig struct {
	Name        string
	Host        string // an IP literal (IPv6 without brackets), a host name, or "unix/"
	Service     string // a port, "0", a service name, or the path of a UNIX socket
	Nonblocking bool   // O_NONBLOCK on the listening fd services get
	Qsize       int    // listen backlog; 0: SOMAXCONN
	// The file of a UNIX socket (host=unix/ only): its owner and group (a
	// name or a numeric id; "": cfkd's) and permission bits (four octal
	// digits, "0640"; "": 0660), set between the bind and the listen
	User  string
	Group string
	Mode  string
	// IPv6Only sets IPV6_V6ONLY on an IPv6 socket before its bind: it
	// takes IPv6 only, leaving IPv4 on its port to another socket
	// (REFERENCE §1.2); false leaves the system's default
	IPv6Only bool `json:",omitempty"`
}

// HostUnix is the host of a UNIX stream socket; its service is the path.
const HostUnix = "unix/"

// IsUnix reports whether the socket is a UNIX stream socket.
func (c SocketConfig) IsUnix() bool { return c.Host == HostUnix }

// IsAbstract reports whether the socket is a UNIX stream socket in
// Linux's abstract namespace: its service is @NAME (REFERENCE §3), which
// no file stands for.
func (c SocketConfig) IsAbstract() bool { return c.IsUnix() && strings.HasPrefix(c.Service, "@") }

// Apply sets one attribute (an Unset value restores its default) and
// returns the new configuration; c is left unchanged. It takes effect at
// the next bind.
func (c SocketConfig) Apply(attr SocketAttr, v Value) (SocketConfig, error) {
	orig := c
	switch attr {
	case SockHost:
		c.Host = v.Str
	case SockService:
		c.Service = v.Str
	case SockNonblocking:
		c.Nonblocking = v.Bool
	case SockListenQsize:
		c.Qsize = v.Int
	case SockUser:
		c.User = v.Str
	case SockGroup:
		c.Group = v.Str
	case SockMode:
		c.Mode = v.Str
	case SockIPv6Only:
		c.IPv6Only = v.Bool
	default:
		return c, fmt.Errorf("invalid property '%s'", attr)
	}
	if err := c.checkFileAttrs(attr, v); err != nil {
		return orig, err
	}
	if err := c.checkAbstract(attr, v); err != nil {
		return orig, err
	}
	if err := c.checkIPv6Only(attr, v); err != nil {
		return orig, err
	}
	return c, nil
}

// checkFileAttrs refuses user, group and mode on a socket whose host is
// declared and is not unix/: a TCP socket has no file (REFERENCE §1.2). A
// socket without a host yet takes them; its bind wants one anyway.
func (c SocketConfig) checkFileAttrs(attr SocketAttr, v Value) error {
	if c.Host == "" || c.IsUnix() {
		return nil
	}
	set := c.fileAttrs()
	if len(set) == 0 {
		return nil
	}
	if attr == SockHost {
		return invalidValue(string(attr), v.Str, "unix/: socket "+c.Name+" has "+strings.Join(set, ", ")+
			", which only a UNIX socket takes (unset them first)")
	}
	return invalidValue(string(attr), v.Str, "a UNIX socket (host=unix/): socket "+c.Name+" is on "+c.Host+
		", which has no file to own")
}

// fileAttrs lists the file attributes that are set, as ATTR=VALUE.
func (c SocketConfig) fileAttrs() []string {
	return fileAttrWords(c.User, c.Group, c.Mode)
}

// fileAttrWords is user, group and mode as ATTR=VALUE words, in that
// order, those set only (nil when none is): a socket's file attributes
// in an error and on a sockets line.
func fileAttrWords(user, group, mode string) []string {
	var out []string
	for _, a := range [...]struct {
		attr SocketAttr
		v    string
	}{{SockUser, user}, {SockGroup, group}, {SockMode, mode}} {
		if a.v != "" {
			out = append(out, string(a.attr)+"="+a.v)
		}
	}
	return out
}

// Address is how the socket is shown to people: host:port ([v6]:port) or
// unix:PATH, with whatever service is given (the real port once bound).
func (c SocketConfig) Address(service string) string {
	switch {
	case c.IsUnix():
		return "unix:" + service
	case strings.Contains(c.Host, ":"):
		return "[" + c.Host + "]:" + service
	}
	return c.Host + ":" + service
}

// Commands from the controller to a socket actor. Each is answered by
// exactly one SocketReply carrying the same Req.
type (
	// BindSocket binds the socket as Config says. A socket that is bound
	// already is an error.
	BindSocket struct {
		Req    RequestID
		Config SocketConfig
	}
	// UnbindSocket closes the listening socket (and removes the path of a
	// UNIX socket). An unbound socket is left as it is (no error); a bind
	// still resolving its host is cancelled.
	UnbindSocket struct{ Req RequestID }
)

// SocketReply answers BindSocket and UnbindSocket. On a successful bind,
// File is the listening socket (owned by the socket actor: never close it
// elsewhere) and Service the real port (port 0 and service names
// resolved) or the path.
type SocketReply struct {
	Req     RequestID
	Name    string
	File    *os.File
	Service string
	Err     error
}

// SocketsChanged hands a service or proxy actor the table of bound
// sockets, by name, for its next launches. The map is never mutated after
// it is sent (the controller builds a new one for every change). When Req
// is not 0, the actor answers once it will no longer use a socket missing
// from the table (a service with a ServiceReply, a proxy with a
// SocketReply): the controller waits for every answer before it closes an
// unbound socket, so that no launch ever sees a closed (or reused) fd.
type SocketsChanged struct {
	Req   RequestID
	Files map[string]*os.File
	// Unbind names the socket an unbind (Req) drops: a service whose
	// launch under way uses it, or a proxy whose process got it, answers
	// that it holds it
	Unbind string
}
