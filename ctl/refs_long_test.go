package ctl

import (
	"strings"
	"testing"
)

// TestLongRefUsage: a name or tag longer than any declaration can carry
// (REFERENCE §8.2: "one of 70,000 bytes") is a usage error, nothing
// sent, for every command that takes one; it once went out and failed
// with exit status 1, `cfkctl: line too long (max 65536 bytes)`.
func TestLongRefUsage(t *testing.T) {
	long := "a" + strings.Repeat("b", 69999)
	for _, args := range [][]string{
		{"status", long},
		{"status", "@" + long},
		{"start", "web1", long},
		{"stop", "@" + long},
		{"pids", long},
		{"events", long},
		{"pid", long},
		{"tail", long},
		{"tail", "-f", long},
		{"bind", long},
		{"proxyup", long},
	} {
		f := newFakeServer(t, nil)
		r := runCtl(t, f, runCfg{}, args...)
		if r.code != ExitUsage || r.stdout != "" || !strings.HasPrefix(r.stderr, "cfkctl: invalid ") ||
			!strings.Contains(r.stderr, "...' (longer than any ") {
			t.Errorf("cfkctl %s %.20s...: code %d, want %d; stdout %q; stderr %.120q",
				args[0], args[len(args)-1], r.code, ExitUsage, r.stdout, r.stderr)
		}
		if n := f.connections(); n != 0 {
			t.Errorf("cfkctl %s %.20s...: %d connections, want none", args[0], args[len(args)-1], n)
		}
	}
	// a long name a declaration can carry is sent
	name := "a" + strings.Repeat("b", 65000)
	f := newFakeServer(t, map[string]string{"command proxyup " + name: ok()})
	if r := runCtl(t, f, runCfg{}, "proxyup", name); r.code != 0 {
		t.Errorf("cfkctl proxyup NAME of %d bytes: code %d, stderr %.120q", len(name), r.code, r.stderr)
	}
}
