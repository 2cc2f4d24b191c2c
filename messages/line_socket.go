package messages

import "strings"

// SocketLine is one line of `command sockets` (an extension), five
// tab-separated fields:
//
//	name  host  port-or-path  bound|unbound  services
//
// the port being the real one once bound (the declared service before),
// the services a comma list of those that use the socket (tie_stdin_to,
// listen_sockets). A UNIX socket with a user, group or mode has a sixth,
// `user=U group=G mode=M` with those set only; without them the line is
// the five fields as before. See line.go for what Format does with tabs
// and line breaks.
//
// A newer cfkd may write more fields after these (REFERENCE §1.6): the
// parser ignores them, so that a field added later does not break a
// cfkctl of today, as the sixth broke the cfkctls that knew five. With
// one after it, the sixth field may be empty (no file's attributes).
type SocketLine struct {
	Name     string
	Host     string // as declared: an address, a host name, "unix/", or ""
	Service  string // a port or a service name; the path of a UNIX socket
	Bound    bool
	Services []string // by name; nil for none
	// the file of a UNIX socket, as declared (as bound, while bound); ""
	// when not set
	User, Group, Mode string
}

// socketFields is the number of fields of a sockets line, and
// socketFileFields that of one with the file's attributes.
const (
	socketFields     = 5
	socketFileFields = 6
)

// The words of the state field.
const (
	socketBound   = "bound"
	socketUnbound = "unbound"
)

// Format writes the line. TAB, CR and LF become spaces, in every field.
func (l SocketLine) Format() string {
	state := socketUnbound
	if l.Bound {
		state = socketBound
	}
	// no field holds a tab, the last one neither: one would be a field
	// after those the parser knows, which it ignores
	f := []string{field(l.Name), field(l.Host), field(l.Service), state, field(strings.Join(l.Services, ","))}
	if file := l.File(); file != "" {
		f = append(f, field(file))
	}
	return strings.Join(f, "\t")
}

// File is the sixth field: `user=U group=G mode=M`, those set only; ""
// when none is.
func (l SocketLine) File() string {
	return strings.Join(fileAttrWords(l.User, l.Group, l.Mode), " ")
}

func (l SocketLine) fileAttrs() [3][2]string {
	return [3][2]string{{string(SockUser), l.User}, {string(SockGroup), l.Group}, {string(SockMode), l.Mode}}
}

// parseFileField reads the sixth field into l: ATTR=VALUE words, user,
// group and mode in that order, each once, at least one.
func (l *SocketLine) parseFileField(kind, s string) error {
	words := strings.Split(s, " ")
	vals := [3]*string{&l.User, &l.Group, &l.Mode}
	next := 0
	for _, w := range words {
		attr, v, ok := strings.Cut(w, "=")
		i := next
		for i < 3 && l.fileAttrs()[i][0] != attr {
			i++
		}
		if !ok || v == "" || i == 3 {
			return lineErr(kind, "invalid file field %q", s)
		}
		*vals[i], next = v, i+1
	}
	return nil
}

// ParseSocketLine reads a sockets line: five fields (six with a file's
// attributes), the state `bound` or `unbound`, and a valid value (see
// Validate). The fields after the sixth, a newer cfkd's, are ignored; the
// sixth may then be empty. No field of the line holds a tab.
func ParseSocketLine(line string) (SocketLine, error) {
	const kind = "sockets"
	f := strings.SplitN(line, "\t", socketFileFields+1)
	if len(f) < socketFields {
		return SocketLine{}, lineErr(kind, "want %d tab-separated fields (%d with a file's), got %d", socketFields, socketFileFields, len(f))
	}
	l := SocketLine{Name: f[0], Host: f[1], Service: f[2], Services: splitList(f[4], ",")}
	// the sixth field, unless it is empty with a newer cfkd's fields after
	// it (no file's attributes)
	if len(f) == socketFileFields || len(f) > socketFileFields && f[5] != "" {
		if err := l.parseFileField(kind, f[5]); err != nil {
			return SocketLine{}, err
		}
	}
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
	for _, a := range l.fileAttrs() {
		if a[1] != "" {
			if err := checkWord(kind, a[0], a[1], "="); err != nil {
				return err
			}
		}
	}
	return checkList(kind, "service name", l.Services)
}
