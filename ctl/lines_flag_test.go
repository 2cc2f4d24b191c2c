package ctl

import "testing"

// TestLinesFlagTailOnly: -n is tail's alone (REFERENCE §8.1), whatever
// its value: `cfkctl status -n 20` (20 being tail's default) once ran
// status as if -n were not there, while `status -n 5` was refused.
func TestLinesFlagTailOnly(t *testing.T) {
	usage := func(cmd, use string) string {
		return "cfkctl: -n only applies to tail\nusage: cfkctl " + use +
			"\nRun 'cfkctl help " + cmd + "' for details.\n"
	}
	for _, tc := range []cmdCase{
		{name: "status -n 20", args: []string{"status", "-n", "20"}, code: ExitUsage, stderr: usage("status", "status [REF...]")},
		{name: "--lines=20 list", args: []string{"--lines=20", "list"}, code: ExitUsage, stderr: usage("list", "list")},
		{name: "status -n 5", args: []string{"status", "-n", "5"}, code: ExitUsage, stderr: usage("status", "status [REF...]")},
		{name: "tail -n 20", args: []string{"tail", "-n", "20", "svc1"},
			replies: map[string]string{"command tail svc1 20": ok("a")},
			reqs:    []string{"command tail svc1 20"}, stdout: "a\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

// TestLinesFlagDigitsOnly: -n takes digits alone, as log.config's counts
// do (REFERENCE §8.1). `cfkctl tail -n +5 web1`, tail(1)'s "from line 5
// on", printed the last 5 lines (Atoi took the sign), the user none the
// wiser; it is a usage error now, saying what -n counts.
func TestLinesFlagDigitsOnly(t *testing.T) {
	want := func(v, flag string) string {
		return "cfkctl: invalid value \"" + v + "\" for " + flag +
			": want a number of lines from 0 to 100000 (the last ones: tail(1)'s +N, from line N on, is not cfkctl's)\nRun 'cfkctl --help' for usage.\n"
	}
	for _, tc := range []cmdCase{
		{name: "tail -n +5", args: []string{"tail", "-n", "+5", "svc1"}, code: ExitUsage, stderr: want("+5", "-n")},
		{name: "tail --lines=+0", args: []string{"tail", "--lines=+0", "svc1"}, code: ExitUsage, stderr: want("+0", "--lines")},
		{name: "tail -n 005", args: []string{"tail", "-n", "005", "svc1"},
			replies: map[string]string{"command tail svc1 5": ok("a")},
			reqs:    []string{"command tail svc1 5"}, stdout: "a\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}
