package ctl

import (
	"fmt"
	"strings"
	"testing"
)

// cfkd refuses an apply for its first bad line; cfkctl names every bad
// line (each with its hint), so that one try shows what to mend, when it
// reads the file as cfkd did (the same first error); else cfkd's word
// alone (a cfkd of another version).
func TestApplyNamesEveryBadLine(t *testing.T) {
	text := "service a cmd=sleep 1\nservice b cwdd=/tmp\n\nservice c cmd=sleep 1\nservice d bogus=1\ncommand apply x\n"
	file := writeFile(t, text)
	all := file + ":2: invalid property 'cwdd'\n" +
		"cfkctl: 'cwdd' is no attribute: did you mean 'cwd'?\n" +
		file + ":5: invalid property 'bogus'\n" +
		file + ":6: apply cannot be nested\n"
	var many strings.Builder
	for i := range 25 {
		fmt.Fprintf(&many, "service s%d nosuch=1\n", i)
	}
	manyFile := writeFile(t, many.String())
	var manyErr strings.Builder
	for i := range maxFileErrors {
		fmt.Fprintf(&manyErr, "%s:%d: invalid property 'nosuch'\n", manyFile, i+1)
	}
	manyErr.WriteString("cfkctl: and 5 more bad lines\n")
	for _, tc := range []cmdCase{
		{name: "every bad line", args: []string{"apply", file},
			replies: map[string]string{applyReq("", text): fail("line 2: invalid property 'cwdd'")},
			reqs:    []string{applyReq("", text)}, code: ExitError, stderr: all},
		{name: "json", args: []string{"apply", file, "--json"},
			replies: map[string]string{applyReq("", text): fail("line 2: invalid property 'cwdd'")},
			reqs:    []string{applyReq("", text)}, code: ExitError, stderr: all,
			stdout: `{"ok":false,"error":` + fmt.Sprintf("%q", strings.TrimSuffix(all, "\n")) + "}\n"},
		{name: "cfkd read it otherwise: its word alone", args: []string{"apply", file},
			replies: map[string]string{applyReq("", text): fail("line 5: invalid property 'bogus'")},
			reqs:    []string{applyReq("", text)}, code: ExitError, stderr: file + ":5: invalid property 'bogus'\n"},
		{name: "past the first twenty", args: []string{"apply", manyFile},
			replies: map[string]string{applyReq("", many.String()): fail("line 1: invalid property 'nosuch'")},
			reqs:    []string{applyReq("", many.String())}, code: ExitError, stderr: manyErr.String()},
	} {
		t.Run(tc.name, tc.check)
	}
}

// cfkd refuses an apply whose requires make a cycle with the cycle
// alone; cfkctl names the line of FILE that closes it, the line `cfkctl
// load` would be refused at (REFERENCE §8.2).
func TestApplyCycleNamesItsLine(t *testing.T) {
	text := "service e cmd=sleep 1\nservice e requires=f,db\nservice f cmd=sleep 1\nservice f requires=e\nservice f desc=x\n"
	file := writeFile(t, text)
	for _, tc := range []cmdCase{
		{name: "the file's cycle", args: []string{"apply", file},
			replies: map[string]string{applyReq("", text): fail("dependency cycle: e -> f -> e")},
			reqs:    []string{applyReq("", text)}, code: ExitError, stderr: file + ":4: dependency cycle: e -> f -> e\n"},
		{name: "with the pruned", args: []string{"apply", "--prune", file},
			replies: map[string]string{applyReq("prune", text): fail("dependency cycle: f -> e -> f, until the services pruned are destroyed: destroy them first")},
			reqs:    []string{applyReq("prune", text)}, code: ExitError,
			stderr: file + ":4: dependency cycle: f -> e -> f, until the services pruned are destroyed: destroy them first\n"},
		{name: "through services the file leaves out", args: []string{"apply", file},
			replies: map[string]string{applyReq("", text): fail("dependency cycle: x -> y -> x")},
			reqs:    []string{applyReq("", text)}, code: ExitError, stderr: "dependency cycle: x -> y -> x\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

// A line whose value holds another attribute's ATTR=... (a user of INI
// files writing two attributes on one line) is sent as ever, and warned
// of on stderr, by load and by apply (REFERENCE §8.2).
func TestAttributeInValueWarned(t *testing.T) {
	text := "service w cmd=sleep 100 tags=web\nservice w desc=fine\n"
	file := writeFile(t, text)
	warning := "cfkctl: " + file + ":1: warning: 'tags=web' is part of the value of cmd: a line sets one attribute, " +
		"the rest of the line its value; to set tags, write 'service w tags=web' on a line of its own\n"
	sent := []string{"service w cmd=sleep 100 tags=web", "service w desc=fine"}
	for _, tc := range []cmdCase{
		{name: "load", args: []string{"load", file}, replies: declared(sent...), reqs: sent, stderr: warning},
		{name: "apply", args: []string{"apply", file}, replies: map[string]string{applyReq("", text): ok("+ w")},
			reqs: []string{applyReq("", text)}, stdout: "+ w\n", stderr: warning},
	} {
		t.Run(tc.name, tc.check)
	}
}
