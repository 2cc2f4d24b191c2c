package ctl

import (
	"testing"
)

// A stream (events, tail -f, fleet events) refused `not authorized` by a TCP console to
// which cfkctl sent no token gets the hint a request gets (REFERENCE §8.3):
// it said `not authorized` alone, where `cfkctl status` on the same
// console said what to give. With a token sent, or on a UNIX socket, the
// refusal stands alone.
func TestStreamRefusedWithoutTokenHints(t *testing.T) {
	const hint = "cfkctl: a TCP console wants a token: --token-file FILE (or CFKCTL_TOKEN_FILE)\n"
	refused := map[string]string{
		"command events all":       fail("not authorized"),
		"command events service a": fail("not authorized"),
		"command events tag web":   fail("not authorized"),
		"command tail a 20 follow": fail("not authorized"),
		"command tail a 20":        fail("not authorized"),
		"command fleet events":     fail("not authorized"),
	}
	for _, args := range [][]string{
		{"events"},
		{"events", "a", "@web"},
		{"--json", "events"},
		{"tail", "-f", "a"},
		{"fleet", "events"},
		{"tail", "a"}, // not a stream: hinted already
	} {
		f := newTCPFakeServer(t, refused)
		r := runTTY(t, f, false, nil, args...)
		if r.code != ExitError || r.stderr != "not authorized\n"+hint {
			t.Errorf("cfkctl %q on TCP without a token: code %d, stderr %q; want 1 and %q",
				args, r.code, r.stderr, "not authorized\n"+hint)
		}
	}

	// a token was sent: cfkd refused the request, not its absence
	const tok = "0123456789abcdef0123456789abcdef"
	withAuth := map[string]string{"auth " + tok: ok()}
	for k, v := range refused {
		withAuth[k] = v
	}
	f := newTCPFakeServer(t, withAuth)
	r := runTTY(t, f, false, nil, "--token-file", writeToken(t, tok+"\n"), "events")
	if r.code != ExitError || r.stderr != "not authorized\n" {
		t.Errorf("events with a token: code %d, stderr %q; want 1 and the refusal alone", r.code, r.stderr)
	}

	// a UNIX socket: no token to give
	u := newFakeServer(t, refused)
	r = runTTY(t, u, false, nil, "tail", "-f", "a")
	if r.code != ExitError || r.stderr != "not authorized\n" {
		t.Errorf("tail -f on a UNIX socket: code %d, stderr %q; want 1 and the refusal alone", r.code, r.stderr)
	}
}
