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

// TestStreamRefusedByAnUpgradeFollowsAgain: a stream's request on a
// connection that cfkd accepted as an upgrade in place drained its
// console, refused unread (`ERROR: cfkd is being upgraded in place: try
// again`, REFERENCE §13.3), is sent again, as after an upgrade's end
// line: the stream goes on, said on stderr. A tail asks again for its
// last lines, none of which were shown. Before, such a connection closed
// without a word: the stream's cfkd was said lost, exit status 1.
func TestStreamRefusedByAnUpgradeFollowsAgain(t *testing.T) {
	refused := fail(messages.UpgradeRetry)
	f := streamServer(t, map[string]string{
		"command events all":          refused,
		"command tail web1 20 follow": refused,
		"command fleet events":        refused,
	})
	f.then["command events all"] = streamOf(evStart) + shutEnd
	f.then["command tail web1 20 follow"] = streamOf("one") + shutEnd
	f.then["command fleet events"] = streamOf(string(messages.FleetEventLine("web2", []byte(evStart)))) + shutEnd
	notice := func(what string) string {
		return "cfkctl: " + what + ": cfkd is being upgraded in place: following again (what happens meanwhile is not shown)\n"
	}
	for _, tc := range []struct {
		args      []string
		what, out string
	}{
		{[]string{"events"}, "events", "16:04:06 web1 fail → starting (pid 124)\n"},
		{[]string{"tail", "-f", "web1"}, "tail", "one\n"},
		{[]string{"fleet", "events"}, "fleet events", "web2 16:04:06 web1 fail → starting (pid 124)\n"},
	} {
		r := runCtl(t, f, runCfg{}, tc.args...)
		if r.code != 0 || r.stdout != tc.out || r.stderr != notice(tc.what) {
			t.Errorf("cfkctl %q: code %d\n stdout %q\n   want %q\n stderr %q", tc.args, r.code, r.stdout, tc.out, r.stderr)
		}
	}
}
