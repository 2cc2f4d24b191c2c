package ctl

import "testing"

// A plan line that a later cfkd writes and this cfkctl's ParseChange
// refuses failed the whole apply ("malformed plan line"): a line whose
// head it knows is shown as is and counted as a change of its sign (its
// notes, --json's changes with the line), one it cannot read at all is
// shown as is with a note (REFERENCE §1.6); the exit status is the
// apply's.
func TestApplyLaterPlanLines(t *testing.T) {
	file := writeFile(t, "service a cmd=x\n")
	sent := "service a cmd=x\n"
	plan := ok("~ a: cmd (restarts at 03:00)", "- old (kept)", "~ socket web: service (rebinds)", "+ timer t", "+ 9lives")
	for _, tc := range []cmdCase{
		{name: "lines", args: []string{"apply", file}, replies: map[string]string{applyReq("", sent): plan},
			reqs:   []string{applyReq("", sent)},
			stdout: "~ a: cmd (restarts at 03:00)\n- old (kept)\n~ socket web: service (rebinds)\n+ timer t\n+ 9lives\n",
			stderr: "note: the services marked - are kept (--prune destroys them)\n" +
				"note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind web, then bind)\n" +
				"note: a plan line this cfkctl cannot read (a newer cfkd's?), shown as is: + timer t\n" +
				"note: a plan line this cfkctl cannot read (a newer cfkd's?), shown as is: + 9lives\n"},
		{name: "json", args: []string{"apply", file, "--json"}, replies: map[string]string{applyReq("", sent): plan},
			reqs: []string{applyReq("", sent)},
			stdout: `{"ok":true,"dry_run":false,"changes":[` +
				`{"op":"~","kind":"service","name":"a","attrs":[],"line":"~ a: cmd (restarts at 03:00)"},` +
				`{"op":"-","kind":"service","name":"old","attrs":[],"line":"- old (kept)"},` +
				`{"op":"~","kind":"socket","name":"web","attrs":[],"line":"~ socket web: service (rebinds)"}],"failures":[],` +
				`"notes":["a plan line this cfkctl cannot read (a newer cfkd's?), shown as is: + timer t",` +
				`"a plan line this cfkctl cannot read (a newer cfkd's?), shown as is: + 9lives"]}` + "\n",
			stderr: "note: the services marked - are kept (--prune destroys them)\n" +
				"note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind web, then bind)\n"},
		{name: "with a failure", args: []string{"apply", file}, replies: map[string]string{applyReq("", sent): ok("~ a: cmd (x)", "a: Service 'a' cannot start: x")},
			reqs: []string{applyReq("", sent)}, code: ExitError, stdout: "~ a: cmd (x)\n", stderr: "a: Service 'a' cannot start: x\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}
