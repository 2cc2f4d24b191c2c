package daemon

import (
	"testing"
)

// A directory given as -c is refused as one: its read's error came as the
// first line's, `FILE:1: read FILE: is a directory`.
func TestReadConfigRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := readConfig(dir)
	if want := "config: " + dir + ": a directory, not a file"; err == nil || err.Error() != want {
		t.Fatalf("readConfig(a directory): %v, want %q", err, want)
	}
}
