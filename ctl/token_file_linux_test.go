package ctl

import (
	"fmt"
	"os"
	"testing"
)

// A token file that opens but cannot be read (here /proc/self/mem, a
// private regular file whose offset 0 is no mapped address: EIO) is a
// usage error naming it (REFERENCE §8.1).
func TestTokenFileUnreadable(t *testing.T) {
	const file = "/proc/self/mem"
	if _, err := os.Stat(file); err != nil {
		t.Skip(err)
	}
	r, connected := tokenFileRun(t, file)
	want := fmt.Sprintf("cfkctl: token file %s: cannot read it: input/output error\nRun 'cfkctl --help' for usage.\n", file)
	if r.code != ExitUsage || r.stderr != want || connected {
		t.Fatalf("exit %d, stderr %q, connected %v; want exit %d, %q, no connect", r.code, r.stderr, connected, ExitUsage, want)
	}
}
