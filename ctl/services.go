package ctl

import (
	"fmt"
	"regexp"
	"strings"
)

// doneLine is the first body line of a service verb's reply.
var doneLine = regexp.MustCompile(`^done \d+$`)

// verbRunner is `cfkctl VERB REF...` for the service verbs: `command VERB
// SEL` per reference, stopping at the first ERROR. Body lines other than
// `done N` name services that failed while others succeeded: warnings on
// stderr.
func verbRunner(verb string) func(*session, []string) error {
	return func(s *session, args []string) error {
		sels, err := selectors(args)
		if err != nil {
			return err
		}
		wire := verb
		if verb == "restart" && s.opts.rolling {
			wire = "rollingrestart"
		}
		var all []string
		for _, sel := range sels {
			lines, err := s.call("command " + wire + " " + sel)
			if err != nil {
				return err
			}
			all = append(all, lines...)
			if !s.opts.json {
				warnFailures(s, lines)
			}
		}
		if s.opts.json {
			return printLines(s, all)
		}
		return nil
	}
}

// warnFailures prints the lines of a service verb's reply but `done N` on
// stderr as warnings: services that failed while others succeeded.
func warnFailures(s *session, lines []string) {
	for _, l := range lines {
		if !doneLine.MatchString(l) {
			fmt.Fprintf(s.env.stderr, "warning: %s\n", l)
		}
	}
}

// runPids is `cfkctl pids [REF...]`: cfkd's `NAME: PID` lines, each
// service once.
func runPids(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	var lines []string
	pids := map[string]*int64{}
	for _, sel := range sels {
		got, err := s.call("command pids " + sel)
		if err != nil {
			return err
		}
		for _, l := range got {
			name, pid := parsePidsLine(l)
			if _, dup := pids[name]; dup {
				continue
			}
			pids[name] = pid
			lines = append(lines, l)
		}
	}
	if s.opts.json {
		return writeJSON(s.env.stdout, pids)
	}
	return printLines(s, lines)
}

// parsePidsLine reads `NAME: PID` or `NAME: PROXYPID, PID`: the name and
// the service's own pid (the last one), nil when there is none.
func parsePidsLine(l string) (string, *int64) {
	name, rest, _ := strings.Cut(l, ":")
	pids := strings.Split(rest, ",")
	return name, positive(pids[len(pids)-1])
}

// desc is one desc line of cfkd (REFERENCE §1.6): name, tags (joined by
// ", "), desc, proxy, cmd, tab-separated.
type desc struct {
	Name, Tags, Desc, Proxy, Cmd string
}

func parseDesc(line string) desc {
	f := tabFields(line, 5)
	return desc{Name: f[0], Tags: f[1], Desc: f[2], Proxy: f[3], Cmd: f[4]}
}

// format is `NAME: tags="..." desc="..." proxy="..." cmd="..."`, leaving out
// what is empty and escaping `"` as the original did.
func (d desc) format() string {
	parts := []string{d.Name + ":"}
	for _, kv := range [][2]string{{"tags", d.Tags}, {"desc", d.Desc}, {"proxy", d.Proxy}, {"cmd", d.Cmd}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+`="`+strings.ReplaceAll(kv[1], `"`, `\"`)+`"`)
		}
	}
	return strings.Join(parts, " ")
}

// descJSON is a desc line for --json.
type descJSON struct {
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Desc  *string  `json:"desc"`
	Proxy *string  `json:"proxy"`
	Cmd   *string  `json:"cmd"`
}

func (d desc) json() descJSON {
	tags := []string{}
	for _, t := range strings.Split(d.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return descJSON{Name: d.Name, Tags: tags, Desc: nonEmpty(d.Desc), Proxy: nonEmpty(d.Proxy), Cmd: nonEmpty(d.Cmd)}
}

// runDesc is `cfkctl desc [REF...]`.
func runDesc(s *session, args []string) error {
	sels, err := selectorsOrAll(args)
	if err != nil {
		return err
	}
	var ds []desc
	seen := map[string]bool{}
	for _, sel := range sels {
		lines, err := s.call("command desc " + sel)
		if err != nil {
			return err
		}
		for _, l := range lines {
			d := parseDesc(l)
			if !seen[d.Name] {
				seen[d.Name] = true
				ds = append(ds, d)
			}
		}
	}
	if s.opts.json {
		out := make([]descJSON, 0, len(ds))
		for _, d := range ds {
			out = append(out, d.json())
		}
		return writeJSON(s.env.stdout, out)
	}
	for _, d := range ds {
		fmt.Fprintln(s.env.stdout, d.format())
	}
	return nil
}

// runList is `cfkctl list`; --json gives an array of names.
func runList(s *session, _ []string) error {
	lines, err := s.call("command list")
	if err != nil {
		return err
	}
	if s.opts.json {
		if lines == nil {
			lines = []string{}
		}
		return writeJSON(s.env.stdout, lines)
	}
	return printLines(s, lines)
}
