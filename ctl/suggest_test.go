package ctl

import "testing"

// A command cfkctl does not know is answered with the one the user likely
// meant: a typo, the start of a command, or what supervisorctl, systemctl
// or pm2 call it; nothing when no command is close.
func TestUnknownCommandSuggests(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"stat"}, "cfkctl: unknown command 'stat' (did you mean 'status'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"strat", "web1"}, "cfkctl: unknown command 'strat' (did you mean 'start'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"tial", "web1"}, "cfkctl: unknown command 'tial' (did you mean 'tail'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"shutdwon"}, "cfkctl: unknown command 'shutdwon' (did you mean 'shutdown'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"logs", "web1"}, "cfkctl: unknown command 'logs' (did you mean 'tail'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"reread"}, "cfkctl: unknown command 'reread' (did you mean 'apply'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"help", "insp"}, "cfkctl: unknown command 'insp' (did you mean 'inspect'?)\nusage: cfkctl help [COMMAND]\nRun 'cfkctl help help' for details.\n"},
		// two commands begin with pro and upgr: neither is said
		{[]string{"pro"}, "cfkctl: unknown command 'pro'\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"upgr"}, "cfkctl: unknown command 'upgr'\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"bogus"}, "cfkctl: unknown command 'bogus'\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"x"}, "cfkctl: unknown command 'x'\nRun 'cfkctl --help' for usage.\n"},
	} {
		cmdCase{args: tc.args, code: ExitUsage, stderr: tc.stderr}.check(t)
	}
	for verb, c := range otherTools {
		if lookup(verb) != nil || lookup(c) == nil {
			t.Errorf("otherTools: %s -> %s: the first must not be a command, the second must", verb, c)
		}
	}
}
