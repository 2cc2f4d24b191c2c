package ctl

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// FuzzReplyLines feeds one line of a cfkd reply to every codec cfkctl
// reads reply lines with (status, desc, pids, sockets, inspect) and to what
// it prints of them: no input panics, an accepted line is what its value
// writes (a sockets line: what it writes, then the fields of a newer cfkd
// it ignores), and what is printed of it holds no line break.
func FuzzReplyLines(f *testing.F) {
	for _, s := range []string{
		"web1\trunning\t4242\t1763738153\t\tp\t\tsleep 100",
		"web1\tfail\t\t1763738153\t1763738160\tp!\tExited with error 1\t",
		"web1\tweb, prod\ta desc\t\tsleep 100",
		"web1: 4242", "web1: 100, 4242", "web1: ", "web1",
		"s\t127.0.0.1\t8080\tbound\tw1,w2", "s\tunix/\t/tmp/s\tunbound\t",
		`{"name":"w","state":"backoff","proxy":"p","proxy_up":false,"retries":2,"crashes":0,"next_start":"2026-01-01T00:00:00.5Z","tags":[]}`,
		"", "\t\t\t\t\t\t\t\t\t", "x\t99999999999999999999\t-1",
	} {
		f.Add(s)
	}
	now := time.Unix(1763738160, 0)
	oneLine := func(t *testing.T, what, s string) {
		if strings.ContainsAny(s, "\r\n") {
			t.Fatalf("%s %q holds a line break", what, s)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		if st, err := messages.ParseStatusLine(line); err == nil {
			if st.Format() != line {
				t.Fatalf("status %q reads as %+v, which writes %q", line, st, st.Format())
			}
			oneLine(t, "status", formatStatus(st, now, time.UTC, true))
			statusJSONOf(st)
		}
		if d, err := messages.ParseDescLine(line); err == nil {
			if d.Format() != line {
				t.Fatalf("desc %q reads as %+v, which writes %q", line, d, d.Format())
			}
			oneLine(t, "desc", formatDesc(descOf{DescLine: d}))
			descJSONOf(descOf{DescLine: d})
		}
		if p, err := messages.ParsePidsLine(line); err == nil && (p.Format() != line || p.Pid < 0) {
			t.Fatalf("pids %q reads as %+v", line, p)
		}
		if sl, err := messages.ParseSocketLine(line); err == nil {
			// the fields a newer cfkd adds after those it knows are
			// ignored (REFERENCE §1.6): it writes the line without them
			if f := sl.Format(); f != line && !strings.HasPrefix(line, f+"\t") {
				t.Fatalf("sockets %q reads as %+v, which writes %q", line, sl, f)
			}
			oneLine(t, "address", socketAddress(sl))
		}
		if i, err := messages.ParseServiceInfo(line); err == nil {
			infoJSON(i)
			oneLine(t, "status of inspect", formatStatus(i.StatusLine(), now, time.UTC, false))
			oneLine(t, "desc of inspect", formatDesc(descOf{DescLine: i.DescLine(), requires: i.Requires, known: true}))
		}
		for n := 1; n <= 3; n++ {
			if f := tabFields(line, n); len(f) != n || strings.Join(f, "\t") != line && strings.Count(line, "\t") >= n-1 {
				t.Fatalf("tabFields(%q, %d) = %q", line, n, f)
			}
		}
	})
}
