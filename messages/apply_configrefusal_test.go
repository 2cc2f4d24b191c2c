package messages

import "testing"

// A line that cfkd -c refuses whatever is declared (`command shutdown`, a
// command that streams, `command fleet`) was taken by `command apply`,
// which runs no verb, and answered OK: the file it applied then stopped
// the next `cfkd -c` of it at start. The apply refuses it, naming its line
// with cfkd -c's text (REFERENCE §1.4, §7.4).
func TestParseApplyRefusesWhatConfigRefuses(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"service a cmd=x\n\ncommand shutdown\n", "line 3: " + ErrConfigShutdown.Error()},
		{"service a cmd=x\ncommand upgrade\n", "line 2: " + ErrConfigUpgrade.Error()},
		{"command upgrade /usr/bin/cfkd\n", "line 1: " + ErrConfigUpgrade.Error()},
		{"service a cmd=x\ncommand events\n", "line 2: 'events' streams: only on an admin connection"},
		{"command events service a\nservice a cmd=x\n", "line 1: 'events' streams: only on an admin connection"},
		{"service a cmd=x\ncommand tail a 5 follow\n", "line 2: 'tail' streams: only on an admin connection"},
		{"service a cmd=x\ncommand fleet status\n", "line 2: " + ErrFleetOnlyAdmin.Error()},
		{"service a cmd=x\ncommand fleet events\n", "line 2: " + ErrFleetOnlyAdmin.Error()},
	} {
		for _, opts := range []string{"", "dry-run "} {
			st, err := Parse("command apply " + opts + EncodeApplyData(tc.text))
			if err == nil || err.Error() != tc.want {
				t.Errorf("apply %s%q: %+v, error %v, want %q", opts, tc.text, st, err, tc.want)
			}
		}
		if errs, _ := ApplyTextErrors(tc.text, 20); len(errs) != 1 || errs[0].Error() != tc.want {
			t.Errorf("ApplyTextErrors(%q) = %v, want [%s]", tc.text, errs, tc.want)
		}
	}
	// what runs in a config file is still taken, not run
	for _, text := range []string{"service a cmd=x\ncommand start all\ncommand tail a 5\ncommand status\n"} {
		if _, err := Parse("command apply " + EncodeApplyData(text)); err != nil {
			t.Errorf("apply %q: %v", text, err)
		}
	}
}
