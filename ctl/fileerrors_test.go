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
