package ctl

import (
	"testing"

	"github.com/cfk/cfk/messages"
)

// When cfkd answers that a reference matched nothing (the original's
// text, printed as it is), cfkctl says, to a person, which NAME or @TAG
// it was and what was likely meant; to a script (stderr not a terminal)
// nothing more is asked or printed.
func TestUnknownServiceIsNamed(t *testing.T) {
	info := func(name string, tags ...string) string {
		return messages.ServiceInfo{Name: name, State: messages.Stopped, Tags: tags}.Format()
	}
	noService := fail(messages.ErrNoService.Error())
	replies := map[string]string{
		"command inspect":                 ok(info("web1", "web"), info("web2", "web"), info("db")),
		"command start service wbe1":      noService,
		"command start service web":       noService,
		"command start service web3":      noService,
		"command start service zzz":       noService,
		"command stop service db tag dbs": noService,
		"command status service dbb":      noService,
		"command signal HUP service db1":  noService,
		"command events service wbe2":     noService,
		// two references that match nothing: a line each, on a terminal
		// too (their newline was escaped there, \x0a, one line)
		"command stop service wbe1 service dbb": noService,
	}
	const bail = "Couldn't find a valid service. bailing.\n"
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"start", "wbe1"}, "cfkctl: cfkd has no service 'wbe1' (did you mean 'web1'?)\n"},
		{[]string{"start", "web"}, "cfkctl: cfkd has no service 'web' (did you mean '@web', the services tagged web?)\n"},
		{[]string{"start", "web3"}, "cfkctl: cfkd has no service 'web3' (cfkctl list shows those it has)\n"}, // web1 or web2: neither
		{[]string{"start", "zzz"}, "cfkctl: cfkd has no service 'zzz' (cfkctl list shows those it has)\n"},
		{[]string{"stop", "db", "@dbs"}, "cfkctl: no service has the tag 'dbs' (cfkctl desc shows the tags)\n"},
		{[]string{"status", "dbb"}, "cfkctl: cfkd has no service 'dbb' (did you mean 'db'?)\n"},
		{[]string{"signal", "HUP", "db1"}, "cfkctl: cfkd has no service 'db1' (did you mean 'db'?)\n"},
		{[]string{"events", "wbe2"}, "cfkctl: cfkd has no service 'wbe2' (did you mean 'web2'?)\n"},
		{[]string{"stop", "wbe1", "dbb"}, "cfkctl: cfkd has no service 'wbe1' (did you mean 'web1'?)\ncfkctl: cfkd has no service 'dbb' (did you mean 'db'?)\n"},
	} {
		f := newFakeServer(t, replies)
		r := runCtl(t, f, runCfg{stderrTerminal: true}, tc.args...)
		if r.code != ExitError || r.stdout != "" || r.stderr != bail+tc.hint {
			t.Errorf("cfkctl %q: code %d stdout %q stderr %q; want stderr %q", tc.args, r.code, r.stdout, r.stderr, bail+tc.hint)
		}
		// a script: cfkd's line alone, no request more
		f = newFakeServer(t, replies)
		r = runCtl(t, f, runCfg{}, tc.args...)
		if r.code != ExitError || r.stderr != bail {
			t.Errorf("cfkctl %q, stderr no terminal: code %d stderr %q; want %q", tc.args, r.code, r.stderr, bail)
		}
		for _, req := range f.requests() {
			if req == "command inspect" {
				t.Errorf("cfkctl %q, stderr no terminal: asked %q", tc.args, req)
			}
		}
	}
}
