package ctl

import (
	"strings"
	"testing"
)

// An attribute misspelt, or named as supervisord or systemd name it, gets
// cfkd's `invalid property 'ATTR'` (the original's text, printed as it
// is), then the attribute meant; an attribute nothing is close to gets the
// error alone.
func TestMisspeltAttributeIsNamed(t *testing.T) {
	for _, tc := range []struct{ line, hint string }{
		{"service a cwdd=/tmp", "cfkctl: 'cwdd' is no attribute: did you mean 'cwd'?\n"},
		{"service a start_wait_secs=1", "cfkctl: 'start_wait_secs' is no attribute: did you mean 'startwait_secs'?\n"},
		{"service a respawn_on_failure=0", "cfkctl: 'respawn_on_failure' is no attribute: did you mean 'respawn_on_fail'?\n"},
		{"socket s hosts=127.0.0.1", "cfkctl: 'hosts' is no attribute: did you mean 'host'?\n"},
		{"service a directory=/srv", "cfkctl: 'directory' is no attribute: did you mean 'cwd'?\n"},
		{"service a Environment=A=1", "cfkctl: 'Environment' is no attribute: did you mean 'add_env'?\n"},
		{"service a foo=1", ""},
	} {
		name, _, _ := strings.Cut(strings.Fields(tc.line)[2], "=")
		cmdCase{
			args:    []string{"load", "-"},
			cfg:     runCfg{stdin: tc.line + "\n"},
			replies: map[string]string{tc.line: fail("invalid property '" + name + "'")},
			reqs:    []string{tc.line},
			code:    ExitError,
			stderr:  "-:1: invalid property '" + name + "'\n" + tc.hint,
		}.check(t)
	}
}
