package ctl

import (
	"github.com/cfk/cfk/messages"
	"strings"
	"testing"
)

// REFERENCE §8.3: on a terminal, what cfkd sends — "any line it answers",
// fail reasons, error texts, and (termsafe.go) a service's log lines — is
// written with its control characters escaped. `cfkctl tail` (no -f) does
// so (printLines), but `cfkctl tail -f` and `cfkctl events` write the
// stream's lines and the events' reasons and messages raw: a service that
// prints an OSC or CSI sequence (or a fail reason / cfkd message holding
// one) drives the terminal of whoever follows it.
func TestStreamsEscapeControlsOnATerminal(t *testing.T) {
	evil := "\x1b]0;owned\x07 \x1b[2J"
	evEvil := `{"kind":"service","time":"2009-11-11T16:04:05Z","service":"web1","from":"running","to":"fail","pid":123,` +
		`"reason":"Could not start: \u001b]0;owned\u0007"}`
	evMsg := `{"kind":"cfkd","time":"2009-11-11T16:04:09Z","level":"warn","message":"cannot exec \u001b[2J"}`
	// C1 CSI (U+009B) and a bidi override: JSON leaves them raw; §8.3 wants
	// them escaped (\u009b) in --json output on a terminal
	evC1 := "{\"kind\":\"cfkd\",\"time\":\"2009-11-11T16:04:09Z\",\"level\":\"warn\",\"message\":\"x \u009b2J \u202e y\"}"
	f := streamServer(t, map[string]string{
		"command tail web1 20 follow": streamOf("plain", evil, "c1 \u009b2J \u202e"),
		"command events all":          streamOf(evEvil, evMsg, evC1),
	})
	f.replies["command tail web1 20"] = ok("plain", evil)
	f.close["command tail web1 20"] = false

	// the reference point: tail without -f escapes
	r := runTTY(t, f, true, nil, "tail", "web1")
	if strings.Contains(r.stdout, "\x1b") {
		t.Fatalf("tail on a terminal wrote an ESC: %q", r.stdout)
	}
	r = runTTY(t, f, true, nil, "tail", "-f", "web1")
	if strings.Contains(r.stdout, "\x1b") || strings.Contains(r.stdout, "\x07") {
		t.Errorf("tail -f on a terminal wrote the service's control characters raw: %q", r.stdout)
	}
	r = runTTY(t, f, true, map[string]string{"NO_COLOR": "1"}, "events")
	if strings.ContainsAny(r.stdout, "\x1b\x07\u009b\u202e") {
		t.Errorf("events on a terminal wrote control characters raw: %q", r.stdout)
	}
	r = runTTY(t, f, true, nil, "events") // in colour: cfkctl's own escapes only
	if strings.ContainsAny(r.stdout, "\x07\u009b\u202e") || strings.Contains(r.stdout, "\x1b]") || strings.Contains(r.stdout, "\x1b[2J") {
		t.Errorf("events in colour on a terminal wrote control characters raw: %q", r.stdout)
	}
	r = runTTY(t, f, true, nil, "--json", "events")
	if strings.ContainsAny(r.stdout, "\u009b\u202e") {
		t.Errorf("events --json on a terminal wrote C1/bidi controls raw: %q", r.stdout)
	}
	r = runTTY(t, f, true, nil, "--json", "tail", "-f", "web1")
	if strings.ContainsAny(r.stdout, "\u009b\u202e") {
		t.Errorf("tail -f --json on a terminal wrote C1/bidi controls raw: %q", r.stdout)
	}
}

// `fleet events --json` on a terminal escapes C1 and bidi controls too.
func TestFleetEventsJSONEscapesOnATerminal(t *testing.T) {
	ev := "{\"kind\":\"cfkd\",\"time\":\"2009-11-11T16:04:09Z\",\"level\":\"warn\",\"message\":\"x \u009b2J \u202e y\"}"
	f := streamServer(t, map[string]string{
		"command fleet events": streamOf(string(messages.FleetEventLine("web1", []byte(ev)))),
	})
	r := runTTY(t, f, true, nil, "--json", "fleet", "events")
	if !strings.Contains(r.stdout, `"host":"web1"`) || strings.ContainsAny(r.stdout, "\u009b\u202e") {
		t.Errorf("fleet events --json on a terminal: %q", r.stdout)
	}
}
