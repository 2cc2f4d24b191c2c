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
