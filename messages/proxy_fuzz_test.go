package messages

import (
	"strings"
	"testing"
)

// FuzzParseProxyStatus: no input panics; an accepted line has a name and
// a positive pid.
func FuzzParseProxyStatus(f *testing.F) {
	for _, s := range []string{
		`{"status":"started","name":"web1","pid":4242}`,
		`{"status":"stopped","name":"web1","pid":4242,"exit_status":256}`,
		`{"status":"started","name":"x","pid":1,"exit_status":null}`,
		`{"status":"stopped","name":"x","pid":-1,"exit_status":9}`,
		`{"status":"bogus"}`, `not json`, `{"pid":1e100}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		v, err := ParseProxyStatus(line)
		if err != nil {
			return
		}
		switch m := v.(type) {
		case ProxyReportedStarted:
			if m.Name == "" || m.Pid <= 0 {
				t.Fatalf("accepted %q as %+v", line, m)
			}
		case ProxyReportedStopped:
			if m.Name == "" || m.Pid <= 0 {
				t.Fatalf("accepted %q as %+v", line, m)
			}
		default:
			t.Fatalf("accepted %q as %T", line, v)
		}
	})
}

// FuzzParseProxyLog: no input panics; an accepted line splits back into
// itself.
func FuzzParseProxyLog(f *testing.F) {
	for _, s := range []string{"out:web1:hello", "err:-:Got signal TERM", "out:web1:a:b:c", "out::x", "bad", "err:9x:y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := ParseProxyLog(line)
		if err != nil {
			return
		}
		if l.Stream != "out" && l.Stream != "err" || (l.Service != "-" && !ValidName(l.Service)) {
			t.Fatalf("accepted %q as %+v", line, l)
		}
		if back := strings.Join([]string{l.Stream, l.Service, l.Message}, ":"); back != line {
			t.Fatalf("%q parsed as %+v, which joins back to %q", line, l, back)
		}
	})
}
