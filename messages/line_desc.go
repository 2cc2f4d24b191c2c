package messages

import "strings"

// DescLine is one line of `command desc` (REFERENCE §1.6, compat), five
// tab-separated fields, the empty string for an absent one:
//
//	name  tags  desc  proxy  cmd
//
// Tags are joined by ", "; a command declared as a JSON array is shown as
// JSON. See line.go for what Format does with tabs and line breaks.
type DescLine struct {
	Name  string
	Tags  []string // in declaration order; nil for none
	Desc  string
	Proxy string // "" for a direct service
	Cmd   string // the command as text; the only field that may hold tabs
}

// descFields is the number of fields of a desc line.
const descFields = 5

// Format writes the line. TAB, CR and LF become spaces (tabs are kept in
// Cmd, the last field).
func (l DescLine) Format() string {
	return strings.Join([]string{
		field(l.Name), field(strings.Join(l.Tags, ", ")), field(l.Desc), field(l.Proxy), lastField(l.Cmd),
	}, "\t")
}

// ParseDescLine reads a desc line: exactly five fields (Cmd, the last one,
// gets the rest of the line), tags separated by ", ", and a valid value
// (see Validate).
func ParseDescLine(line string) (DescLine, error) {
	f, err := splitFields("desc", line, descFields)
	if err != nil {
		return DescLine{}, err
	}
	l := DescLine{Name: f[0], Tags: splitList(f[1], ", "), Desc: f[2], Proxy: f[3], Cmd: f[4]}
	if err := l.Validate(); err != nil {
		return DescLine{}, err
	}
	return l, nil
}

// Validate reports what keeps l from being written and read back as it
// is: a name, tag or proxy that is not one word (a tag holding a comma), a
// line break or a tab in Desc, a line break in Cmd.
func (l DescLine) Validate() error {
	const kind = "desc"
	if err := checkWord(kind, "name", l.Name, ""); err != nil {
		return err
	}
	if err := checkList(kind, "tag", l.Tags); err != nil {
		return err
	}
	if err := checkText(kind, "desc", l.Desc, false); err != nil {
		return err
	}
	if l.Proxy != "" {
		if err := checkWord(kind, "proxy", l.Proxy, ""); err != nil {
			return err
		}
	}
	return checkText(kind, "cmd", l.Cmd, true)
}
