package ctl

import (
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestStreamRefusedByAShutdown: a stream's request that cfkd takes no
// more, shutting down (a connection accepted as the drain began, its
// request never read: `ERROR: cfkd is shutting down`), ends as a stream
// a shutdown ended once started (REFERENCE §1.5, §8.2): exit status 0,
// nothing said, and with --json the end line. It was a refusal: the
// message on stderr and exit status 1, where the stream asked a moment
// earlier exited 0.
func TestStreamRefusedByAShutdown(t *testing.T) {
	refused := fail(messages.ShutdownReason)
	f := streamServer(t, map[string]string{
		"command events all":          refused,
		"command tail web1 20 follow": refused,
		"command fleet events":        refused,
	})
	for _, tc := range []struct {
		args []string
		out  string
	}{
		{[]string{"events"}, ""},
		{[]string{"--json", "events"}, evShut + "\n"},
		{[]string{"tail", "-f", "web1"}, ""},
		{[]string{"fleet", "events"}, ""},
	} {
		r := runCtl(t, f, runCfg{}, tc.args...)
		if r.code != 0 || r.stdout != tc.out || r.stderr != "" {
			t.Errorf("cfkctl %q: code %d\n stdout %q\n   want %q\n stderr %q", tc.args, r.code, r.stdout, tc.out, r.stderr)
		}
	}
}
