package ctl

import "testing"

// A read peer's dry run of a file that declares add_env was refused with
// cfkd's `not authorized` alone, where REFERENCE §5.1 lets read run a dry
// run: the user was not told that add_env makes it need admin. cfkctl adds
// the line (§8.3); to a dry run without add_env, or an apply, it adds
// nothing.
func TestApplyDryRunEnvRefusalHint(t *testing.T) {
	env := "service a cmd=sleep 1\nservice a add_env=K=v\n"
	plain := "service a cmd=sleep 1\n"
	envFile, plainFile := writeFile(t, env), writeFile(t, plain)
	hint := "cfkctl: a dry run of a file that declares add_env needs admin, where one without needs read: " +
		"its plan would tell whether each value is the one in force\n"
	for _, tc := range []cmdCase{
		{name: "dry run with add_env", args: []string{"apply", "--dry-run", envFile},
			replies: map[string]string{applyReq("dry-run", env): fail("not authorized")},
			reqs:    []string{applyReq("dry-run", env)}, code: ExitError, stderr: "not authorized\n" + hint},
		{name: "dry run without add_env", args: []string{"apply", "--dry-run", plainFile},
			replies: map[string]string{applyReq("dry-run", plain): fail("not authorized")},
			reqs:    []string{applyReq("dry-run", plain)}, code: ExitError, stderr: "not authorized\n"},
		{name: "apply with add_env", args: []string{"apply", envFile},
			replies: map[string]string{applyReq("", env): fail("not authorized")},
			reqs:    []string{applyReq("", env)}, code: ExitError, stderr: "not authorized\n"},
		{name: "dry run with add_env, another error", args: []string{"apply", "--dry-run", envFile},
			replies: map[string]string{applyReq("dry-run", env): fail("cfkd is shutting down")},
			reqs:    []string{applyReq("dry-run", env)}, code: ExitError, stderr: "cfkd is shutting down\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}
