package messages

import (
	"runtime"
	"strings"
)

// abstractUnix tells whether this system has an abstract namespace for
// UNIX sockets (Linux's: a name, @NAME, that no file stands for).
const abstractUnix = runtime.GOOS == "linux"

// checkAbstract refuses, on a UNIX socket whose service is @NAME (an
// abstract socket, REFERENCE §1.2): a system other than Linux, which has
// no abstract namespace; a bare @ (the kernel would pick a name); and
// user, group and mode, since no file stands for it. attr is the
// attribute just set, whose value v the error names.
func (c SocketConfig) checkAbstract(attr SocketAttr, v Value) error {
	if !c.IsAbstract() {
		return nil
	}
	switch attr {
	case SockUser, SockGroup, SockMode:
		if v.Str == "" {
			return nil // unset
		}
		return invalidValue(string(attr), v.Str, "a UNIX socket with a file: socket "+c.Name+" is "+c.Service+
			", in the abstract namespace, which has no file to own")
	case SockHost, SockService:
	default:
		return nil
	}
	switch {
	case !abstractUnix:
		return invalidValue(string(attr), v.Str, abstractWant(attr)+": socket "+c.Name+" is "+c.Service+
			", in the abstract namespace of UNIX sockets, which is Linux's, not "+runtime.GOOS+"'s")
	case c.Service == "@":
		return invalidValue(string(attr), v.Str, "a name after the @ of socket "+c.Name+"'s service (an abstract UNIX socket, @NAME)")
	}
	if set := c.fileAttrs(); len(set) > 0 {
		return invalidValue(string(attr), v.Str, abstractWant(attr)+": socket "+c.Name+" has "+strings.Join(set, ", ")+
			", which an abstract socket (@NAME) has no file for (unset them first)")
	}
	return nil
}

// abstractWant is what an error of checkAbstract wants of attr.
func abstractWant(attr SocketAttr) string {
	if attr == SockHost {
		return "an IP address or a host name"
	}
	return "an absolute path"
}
