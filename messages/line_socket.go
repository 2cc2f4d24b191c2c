package messages

import "strings"

// SocketLine is one line of `command sockets` (an extension), five
// tab-separated fields:
//
//	name  host  port-or-path  bound|unbound  services
//
// the port being the real one once bound (the declared service before),
// the services a comma list of those that use the socket (tie_stdin_to,
// listen_sockets). See line.go for what Format does with tabs and line
// breaks.
type SocketLine struct {
	Name     string
	Host     string // as declared: an address, a host name, "unix/", or ""
	Service  string // a port or a service name; the path of a UNIX socket
	Bound    bool
	Services []string // by name; nil for none
}

// socketFields is the number of fields of a sockets line.
const socketFields = 5

// The words of the state field.
const (
	socketBound   = "bound"
	socketUnbound = "unbound"
)

// Format writes the line. TAB, CR and LF become spaces.
func (l SocketLine) Format() string {
	state := socketUnbound
	if l.Bound {
		state = socketBound
	}
	return strings.Join([]string{
		field(l.Name), field(l.Host), field(l.Service), state, lastField(strings.Join(l.Services, ",")),
	}, "\t")
}

// ParseSocketLine reads a sockets line: exactly five fields, the state
// `bound` or `unbound`, and a valid value (see Validate).
func ParseSocketLine(line string) (SocketLine, error) {
	const kind = "sockets"
	f, err := splitFields(kind, line, socketFields)
	if err != nil {
		return SocketLine{}, err
	}
	l := SocketLine{Name: f[0], Host: f[1], Service: f[2], Services: splitList(f[4], ",")}
	switch f[3] {
	case socketBound:
		l.Bound = true
	case socketUnbound:
	default:
		return SocketLine{}, lineErr(kind, "state %q is neither bound nor unbound", f[3])
	}
	if err := l.Validate(); err != nil {
		return SocketLine{}, err
	}
	return l, nil
}

// Validate reports what keeps l from being written and read back as it
// is: a name or a service name that is not one word (a service holding a
// comma), a line break or a tab in Host or Service.
func (l SocketLine) Validate() error {
	const kind = "sockets"
	if err := checkWord(kind, "name", l.Name, ""); err != nil {
		return err
	}
	if err := checkText(kind, "host", l.Host, false); err != nil {
		return err
	}
	if err := checkText(kind, "service", l.Service, false); err != nil {
		return err
	}
	return checkList(kind, "service name", l.Services)
}
