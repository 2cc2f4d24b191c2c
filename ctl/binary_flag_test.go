package ctl

import "testing"

// TestBinaryFlagEmpty: --binary names the cfkd an upgrade executes
// (REFERENCE §8.1, §13). Given empty, as `cfkctl upgrade --binary
// "$NEW"` with NEW unset, it was taken for no --binary at all: cfkd
// executed itself again and cfkctl said `upgrading to cfkd VERSION` of
// the version that ran, exit 0, the script none the wiser; and `cfkctl
// status --binary ”` ran status, where `--binary /x` is refused there
// (a flag's value decided whether it was misplaced, as -n's did). Both
// are usage errors now, nothing sent.
func TestBinaryFlagEmpty(t *testing.T) {
	for _, tc := range []cmdCase{
		{name: "upgrade --binary ''", args: []string{"upgrade", "--binary", ""}, code: ExitUsage,
			stderr: "cfkctl: --binary needs the path of a cfkd\nusage: cfkctl upgrade [--binary PATH]\nRun 'cfkctl help upgrade' for details.\n"},
		{name: "upgrade --binary=", args: []string{"upgrade", "--binary="}, code: ExitUsage,
			stderr: "cfkctl: --binary needs the path of a cfkd\nusage: cfkctl upgrade [--binary PATH]\nRun 'cfkctl help upgrade' for details.\n"},
		{name: "status --binary ''", args: []string{"status", "--binary", ""}, code: ExitUsage,
			stderr: "cfkctl: --binary only applies to upgrade\nusage: cfkctl status [REF...]\nRun 'cfkctl help status' for details.\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}
