package ctl

import (
	"encoding/json"
	"strings"
	"testing"
)

// A fleet line of a kind a newer hub adds (REFERENCE §12.4) failed the
// whole cfkctl fleet ("unknown kind"): it is shown as is, after the
// host's lines, and left out of --json with one note on stderr, so that
// stdout holds the one JSON value of §12.7's shape; the exit status is
// what the known lines say (a host whose outcome is of an unknown kind
// failed).
func TestFleetLinesOfALaterKind(t *testing.T) {
	f := newFakeServer(t, map[string]string{
		"command fleet hosts": ok("h1\thost\t127.0.0.2:7204\tweb", "h1\tline\tcfk 1", "h1\tclock\t+2s", "h1\tok\t1.000",
			"h2\thost\t127.0.0.3:7204\t", "h2\tline\tcfk 1", "h2\tok\t2.000", "h2\tclock\t-1s\tntp"),
		"command fleet restart service a": ok("h1\tline\tdone 1", "h1\tprogress\t1/1", "h1\tok\t1.000",
			"h2\tline\tdone 1", "h2\tok\t1.000", "h2\tprogress\t1/1"),
		"command fleet status service a": ok("h1\tline\ta\trunning\t4711\t1795274153\t\t\t\tsleep 1", "h1\tok\t1.000",
			"h2\tlater\tx"),
	})
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"fleet", "restart", "a"}, 0, "h1\tdone 1\nh1\tprogress\t1/1\nh2\tdone 1\nh2\tprogress\t1/1\n", ""},
		{[]string{"fleet", "hosts"}, 0, "up    h1               127.0.0.2:7204         cfk 1                       1.0ms web\nh1\tclock\t+2s\n" +
			"up    h2               127.0.0.3:7204         cfk 1                       2.0ms\nh2\tclock\t-1s\tntp\n", ""},
		{[]string{"fleet", "status", "a"}, ExitError, "", "fleet: 1 of 2 hosts failed: h2\n"},
	} {
		r := runCtl(t, f, runCfg{}, tc.args...)
		if r.code != tc.code || tc.stdout != "" && r.stdout != tc.stdout || r.stderr != tc.stderr {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr,
				tc.code, tc.stdout, tc.stderr)
		}
		if tc.args[1] == "status" && !strings.HasSuffix(r.stdout, "h2\tlater\tx\nh2\tno outcome line that this cfkctl knows (a newer hub's?)\n") {
			t.Errorf("status: stdout %q", r.stdout)
		}
		r = runCtl(t, f, runCfg{}, append([]string{"--json"}, tc.args...)...)
		var v []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || len(v) != 2 || strings.Contains(r.stdout, "progress") ||
			strings.Contains(r.stdout, "clock") {
			t.Errorf("%s --json: stdout %q (%v), want the array of the 2 hosts, nothing of the later lines", strings.Join(tc.args, " "), r.stdout, err)
		}
		if r.code != tc.code || !strings.Contains(r.stderr, "cfkctl: note: ") || strings.Count(r.stderr, "note:") != 1 {
			t.Errorf("%s --json: exit %d, stderr %q; want %d and one note", strings.Join(tc.args, " "), r.code, r.stderr, tc.code)
		}
	}
}
