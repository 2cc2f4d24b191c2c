package messages

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse checks the invariants of Parse on any input: no panic, exactly
// one of statement and error, determinism, a line and its cleaned form parse
// alike, and what a statement holds is valid (names, values).
func FuzzParse(f *testing.F) {
	for _, tc := range parseOK {
		f.Add(tc.line)
	}
	for _, tc := range parseErr {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		st, err := Parse(line)
		if (st == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %#v, %v: want exactly one of statement and error", line, st, err)
		}
		st2, err2 := Parse(line)
		if !reflect.DeepEqual(st, st2) || errText(err) != errText(err2) {
			t.Fatalf("Parse(%q) is not deterministic: %#v, %v then %#v, %v", line, st, err, st2, err2)
		}
		clean := Clean(line)
		if Clean(clean) != clean {
			t.Fatalf("Clean is not idempotent on %q", line)
		}
		if IsBlank(line) != errors.Is(err, ErrVoid) {
			t.Fatalf("IsBlank(%q) = %v but Parse error is %v", line, IsBlank(line), err)
		}
		st3, err3 := Parse(clean)
		if !reflect.DeepEqual(st, st3) || errText(err) != errText(err3) {
			t.Fatalf("Parse(%q) = %#v, %v but Parse(Clean) = %#v, %v", line, st, err, st3, err3)
		}
		if st != nil {
			checkStatement(t, line, st)
		}
		if d, ok := ParseServiceLine(line); ok {
			if err != nil || !reflect.DeepEqual(st, Statement(d)) {
				t.Fatalf("ParseServiceLine(%q) = %#v, but Parse = %#v, %v", line, d, st, err)
			}
		} else if d, isDecl := st.(SetServiceAttr); isDecl && d.Proxy == "" {
			t.Fatalf("ParseServiceLine(%q) refused what Parse took: %#v", line, d)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkStatement checks what a successful Parse promises about its result.
func checkStatement(t *testing.T, line string, st Statement) {
	t.Helper()
	switch s := st.(type) {
	case SetServiceAttr:
		if !ValidName(s.Service) {
			t.Fatalf("Parse(%q): invalid service name %q", line, s.Service)
		}
		if s.Proxy != "" && !ValidName(s.Proxy) {
			t.Fatalf("Parse(%q): invalid proxy name %q", line, s.Proxy)
		}
		if _, ok := serviceAttrs[s.Attr]; !ok {
			t.Fatalf("Parse(%q): unknown service attribute %q", line, s.Attr)
		}
		checkValue(t, line, string(s.Attr), s.Value)
	case SetSocketAttr:
		if !ValidName(s.Socket) {
			t.Fatalf("Parse(%q): invalid socket name %q", line, s.Socket)
		}
		if _, ok := socketAttrs[s.Attr]; !ok {
			t.Fatalf("Parse(%q): unknown socket attribute %q", line, s.Attr)
		}
		checkValue(t, line, string(s.Attr), s.Value)
	case SetProxyAttr:
		if !ValidName(s.Proxy) {
			t.Fatalf("Parse(%q): invalid proxy name %q", line, s.Proxy)
		}
		if _, ok := proxyAttrs[s.Attr]; !ok {
			t.Fatalf("Parse(%q): unknown proxy attribute %q", line, s.Attr)
		}
		checkValue(t, line, string(s.Attr), s.Value)
	case ControlCommand:
		checkCommand(t, line, s)
	case Apply:
		checkDeclarations(t, line, s.Want)
	default:
		t.Fatalf("Parse(%q): unexpected statement type %T", line, st)
	}
}

// checkValue checks the per-attribute promises of Value's documentation.
func checkValue(t *testing.T, line, attr string, v Value) {
	t.Helper()
	if v.Unset {
		if !reflect.DeepEqual(v, Value{Unset: true}) {
			t.Fatalf("Parse(%q): unset value with content %#v", line, v)
		}
		return
	}
	switch attr {
	case "cmd":
		if (v.Str == "") == (len(v.Argv) == 0) || (v.Argv != nil && v.Argv[0] == "") {
			t.Fatalf("Parse(%q): bad cmd %#v", line, v)
		}
	case "desc":
		if v.Str == "" || strings.ContainsAny(v.Str, "\r\n\t\x00") {
			t.Fatalf("Parse(%q): bad desc %q", line, v.Str)
		}
	case "tags":
		seen := map[string]bool{}
		for _, tag := range v.List {
			if !tagRe.MatchString(tag) || seen[tag] {
				t.Fatalf("Parse(%q): bad tags %q", line, v.List)
			}
			seen[tag] = true
		}
		if len(v.List) == 0 {
			t.Fatalf("Parse(%q): empty tag list not unset", line)
		}
	case "add_env":
		if !envKeyRe.MatchString(v.Key) {
			t.Fatalf("Parse(%q): bad env key %q", line, v.Key)
		}
	case "tie_stdin_to":
		if !ValidName(v.Str) {
			t.Fatalf("Parse(%q): bad socket name %q", line, v.Str)
		}
	case "listen_sockets", "requires":
		seen := map[string]bool{}
		for _, n := range v.List {
			if !ValidName(n) || seen[n] {
				t.Fatalf("Parse(%q): bad names %q", line, v.List)
			}
			seen[n] = true
		}
		if len(v.List) == 0 {
			t.Fatalf("Parse(%q): empty name list not unset", line)
		}
	case "startwait_secs", "stopwait_secs":
		if !(v.Num >= 0 && v.Num <= maxWaitSecs) {
			t.Fatalf("Parse(%q): bad seconds %v", line, v.Num)
		}
	case "respawn_max_retries":
		if v.Int < 1 {
			t.Fatalf("Parse(%q): bad retries %d", line, v.Int)
		}
	case "listen_qsize":
		if v.Int < 0 {
			t.Fatalf("Parse(%q): bad qsize %d", line, v.Int)
		}
	case "umask":
		if n, err := strconv.ParseUint(v.Str, 8, 32); err != nil || n > 0o777 || len(v.Str) != 4 {
			t.Fatalf("Parse(%q): bad umask %q", line, v.Str)
		}
	case "limit_nofile":
		if soft, hard, ok := ParseNofile(v.Str); !ok || soft < 1 || soft > hard || hard > MaxNofile {
			t.Fatalf("Parse(%q): bad limit_nofile %q", line, v.Str)
		}
	case "host", "service", "cwd", "user", "group":
		if v.Str == "" {
			t.Fatalf("Parse(%q): empty %s", line, attr)
		}
	}
}

// checkDeclarations checks what an apply declares: every name valid and
// the key of its value, every service's proxy declared.
func checkDeclarations(t *testing.T, line string, d Declarations) {
	t.Helper()
	for n, c := range d.Services {
		if !ValidName(n) || c.Name != n {
			t.Fatalf("Parse(%q): service %q holds %q", line, n, c.Name)
		}
		if _, ok := d.Proxies[c.Proxy]; c.Proxy != "" && !ok {
			t.Fatalf("Parse(%q): service %q under an undeclared proxy %q", line, n, c.Proxy)
		}
	}
	for n, c := range d.Sockets {
		if !ValidName(n) || c.Name != n {
			t.Fatalf("Parse(%q): socket %q holds %q", line, n, c.Name)
		}
	}
	for n, c := range d.Proxies {
		if !ValidName(n) || c.Name != n {
			t.Fatalf("Parse(%q): proxy %q holds %q", line, n, c.Name)
		}
	}
}

// checkCommand checks that a ControlCommand carries what its verb needs.
func checkCommand(t *testing.T, line string, c ControlCommand) {
	t.Helper()
	switch c.Verb {
	case VerbProxyUp, VerbProxyDown, VerbBind, VerbUnbind:
		if c.Arg == "" || c.Sel != (Selector{}) {
			t.Fatalf("Parse(%q): bad %s %#v", line, c.Verb, c)
		}
	case VerbStart, VerbStop, VerbUp, VerbDown, VerbRestart, VerbDestroy, VerbRollingRestart, VerbSignal,
		VerbStatus, VerbDesc, VerbPids, VerbInspect, VerbEvents:
		named := c.Sel.Kind == SelectService || c.Sel.Kind == SelectTag
		if (c.Arg != "") != (c.Verb == VerbSignal) || named == (c.Sel.Name == "") || c.Lines != 0 || c.Follow {
			t.Fatalf("Parse(%q): bad selector %#v", line, c)
		}
		if c.More == nil {
			break
		}
		// several selectors: the service verbs', each once, all alone
		switch c.Verb {
		case VerbStatus, VerbDesc, VerbPids, VerbInspect, VerbEvents:
			t.Fatalf("Parse(%q): several selectors for %s: %#v", line, c.Verb, c)
		}
		sels := c.Selectors()
		for k, sel := range sels {
			if sel.Kind != SelectService && sel.Kind != SelectTag || sel.Name == "" || slices.Contains(sels[:k], sel) {
				t.Fatalf("Parse(%q): bad selectors %#v", line, c)
			}
		}
	case VerbList, VerbVersion, VerbProxyStatus, VerbShutdown, VerbSockets:
		if c.Arg != "" || c.Sel != (Selector{}) {
			t.Fatalf("Parse(%q): bad %s %#v", line, c.Verb, c)
		}
	case VerbTail:
		if c.Arg == "" || c.Sel != (Selector{}) || c.Lines < 0 || c.Lines > MaxTailLines {
			t.Fatalf("Parse(%q): bad %s %#v", line, c.Verb, c)
		}
	default:
		t.Fatalf("Parse(%q): unknown verb %q", line, c.Verb)
	}
}
