package ctl

import (
	"strings"
	"testing"
)

// FuzzReplyLines feeds one line of a cfkd reply to every parser cfkctl
// applies to reply lines (status, desc, pids, sockets): no input panics,
// and the tab-separated ones give back their fields.
func FuzzReplyLines(f *testing.F) {
	for _, s := range []string{
		"web1\trunning\t4242\t1763738153\t\tp\t\tsleep 100",
		"web1\tfail\t\t1763738153\t1763738160\tp!\tExited with error 1\t",
		"web1\tweb, prod\ta desc\t\tsleep 100",
		"web1: 4242", "web1: 100, 4242", "web1: ", "web1",
		"s\t127.0.0.1\t8080\tbound\tw1,w2", "s\tunix/\t/tmp/s\tunbound\t",
		"", "\t\t\t\t\t\t\t\t\t", "x\t99999999999999999999\t-1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		st := parseStatus(line)
		if !strings.HasPrefix(line, st.Name) {
			t.Fatalf("status name %q of %q", st.Name, line)
		}
		st.when()
		d := parseDesc(line)
		if got := strings.Join([]string{d.Name, d.Tags, d.Desc, d.Proxy, d.Cmd}, "\t"); strings.Count(line, "\t") >= 4 && got != line {
			t.Fatalf("desc fields of %q join to %q", line, got)
		}
		d.format()
		name, pid := parsePidsLine(line)
		if !strings.HasPrefix(line, name) || (pid != nil && *pid <= 0) {
			t.Fatalf("pids line %q: %q %v", line, name, pid)
		}
		sl := parseSocketLine(line)
		sl.address()
		for n := 1; n <= 8; n++ {
			if f := tabFields(line, n); len(f) != n || strings.Join(f, "\t") != line && strings.Count(line, "\t") >= n-1 {
				t.Fatalf("tabFields(%q, %d) = %q", line, n, f)
			}
		}
	})
}
