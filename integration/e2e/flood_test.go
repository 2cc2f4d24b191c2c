package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFloodLoggedWhole: a service that floods its output as fast as cat
// copies a file (on Linux its pipe grows, and a reader thread of its own
// reads, formats and writes it: REFERENCE §6.2) has every line in its
// log file, once and in order, each its own record; the last lines are
// kept for `command tail`; another service's lines are logged meanwhile.
func TestFloodLoggedWhole(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	const n = 300000
	var data bytes.Buffer
	for i := range n {
		fmt.Fprintf(&data, "line %06d\n", i)
	}
	src := filepath.Join(home, "flood.txt")
	if err := os.WriteFile(src, data.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(home, "log.config")
	if err := os.WriteFile(cfg, []byte("level = info\ncfkd = file:cfkd.log\nservices = file:services.log\nservice.flood = file:flood.log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, home, "-l", cfg)
	c := d.dial()
	c.ok(fmt.Sprintf(`service flood cmd=["cat",%q]`, src), `service calm cmd=sh -c 'echo calm-line; sleep 100'`,
		"command start service flood", "command start service calm")
	logPath := filepath.Join(home, "flood.log")
	var records []string
	c.until(fmt.Sprintf("%d records in flood.log", n), func() bool {
		b, _ := os.ReadFile(logPath)
		records = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		return len(records) >= n
	})
	if len(records) != n {
		t.Fatalf("%d records, want %d", len(records), n)
	}
	for i, r := range records {
		if want := fmt.Sprintf(" INFO service.flood.out - line %06d", i); !strings.HasSuffix(r, want) {
			t.Fatalf("record %d: %q, want it to end with %q", i, r, want)
		}
	}
	c.until("the calm service's line", func() bool {
		b, _ := os.ReadFile(filepath.Join(home, "services.log"))
		return strings.Contains(string(b), "service.calm.out - calm-line")
	})
	got := c.ok("command tail flood 3")
	if want := []string{fmt.Sprintf("line %06d", n-3), fmt.Sprintf("line %06d", n-2), fmt.Sprintf("line %06d", n-1)}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("tail: %q, want %q", got, want)
	}
}
