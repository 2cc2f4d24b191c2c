package ctl

import (
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestFleetEventsJSONEndLines: `cfkctl --json fleet events` ends as
// `cfkctl --json events` does (REFERENCE §8.3, §12.7): the hub's end
// line of a shutdown, its end line for another reason, its lost line,
// the object alone, and the resume line across the hub's upgrade. It
// ended with the hosts' last events and no end line: a consumer of the
// JSON could not tell a shutdown from a hub that crashed.
func TestFleetEventsJSONEndLines(t *testing.T) {
	upgrading := `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}`
	ev1 := string(messages.FleetEventLine("web1", []byte(evCrash)))
	js1 := `{"host":"web1","event":` + evCrash + `}` + "\n"
	gone := `{"kind":"end","reason":"token t is no longer in the token file: rights withdrawn"}`
	for _, tc := range []struct {
		name, stream, then, out string
		code                    int
	}{
		{name: "shutdown", stream: streamOf(ev1) + shutEnd, out: js1 + evShut + "\n"},
		{name: "withdrawn", stream: streamOf(ev1) + gone + "\r\n", code: 1,
			out: js1 + gone + "\n" + `{"ok":false,"error":"fleet events: cfkd ended the stream: token t is no longer in the token file: rights withdrawn"}` + "\n"},
		{name: "cut off", stream: streamOf(ev1) + `{"kind":"lost","lost":7}` + "\r\n", code: 1,
			out: js1 + `{"kind":"lost","lost":7}` + "\n" + `{"ok":false,"error":"fleet events: cut off by cfkd after losing 7 events (not read fast enough)"}` + "\n"},
		{name: "refused: shutting down", stream: fail(messages.ShutdownReason), out: evShut + "\n"},
		{name: "upgrade", stream: streamOf(ev1) + upgrading + "\r\n", then: shutEnd, out: js1 + upgrading + "\n" + evShut + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := streamServer(t, map[string]string{"command fleet events": tc.stream})
			if tc.then != "" {
				f.then["command fleet events"] = tc.then
			}
			r := runCtl(t, f, runCfg{}, "--json", "fleet", "events")
			if r.code != tc.code || r.stdout != tc.out {
				t.Errorf("code %d, want %d\n stdout %q\n   want %q\n stderr %q", r.code, tc.code, r.stdout, tc.out, r.stderr)
			}
		})
	}
}
