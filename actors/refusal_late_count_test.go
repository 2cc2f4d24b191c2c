package actors

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// The count of the connections refused in the last second of a flood is
// logged once it ends: it went only with the next record of a refusal,
// and when none came it was never logged, so that 6 connections refused
// in a burst left one record, as if one had been (REFERENCE §5.5).
func TestConnectionRefusalsCountLoggedWhenTheyEnd(t *testing.T) {
	t.Parallel()
	r := newConsoleRig(t, "tcp", &ConsolePolicy{Insecure: true, InsecureLevel: rights.Admin, MaxConnections: 1})
	r.dial().expect("command version", "OK")
	const n = 6
	for range n {
		c := r.dial()
		c.conn.Write([]byte("command version\r\n"))
		if got := c.read(); got != "ERROR: too many connections" {
			t.Fatalf("one too many: %q", got)
		}
		c.closed()
	}
	carried := regexp.MustCompile(`connection refused: .*; (\d+) more refused since the last line\)`)
	late := regexp.MustCompile(`warning audit (\d+) more connections refused since the last line, not logged`)
	counted := func() int {
		text := r.rec.text()
		sum := strings.Count(text, "connection refused: ")
		for _, re := range []*regexp.Regexp{carried, late} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				k, _ := strconv.Atoi(m[1])
				sum += k
			}
		}
		return sum
	}
	end := time.Now().Add(connWait)
	for counted() != n {
		if time.Now().After(end) {
			t.Fatalf("%d refusals counted in the log, want %d:\n%s", counted(), n, r.rec.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
