package logconf

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRotationNeverReplacesRotatedFile: a rotation never replaces a rotated
// file kept before (REFERENCE §6.1: max_backups = 0 keeps them all).
// lumberjack, used before, named a rotated file NAME-TIMESTAMP.EXT to the
// millisecond and renamed over whatever had that name: two rotations in
// one millisecond (a flood of 1 GB/s with max_size_mb = 1, or records of
// more than half max_size_mb) lost the first one's file. The test stands
// for the first rotation of each millisecond around the test's own by a
// file of that name (deterministic; the race detector is too slow to
// rotate twice in a millisecond), then rotates once.
func TestRotationNeverReplacesRotatedFile(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, "cfkd.log")
	s, err := openFile(path, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.closer.Close()
	big := strings.Repeat("x", 600<<10) // two of these do not fit in 1 MiB
	s.putLocked([]byte(ts+" - INFO cfkd - record 1 "+big+"\n"), io.Discard)

	// the rotated files of earlier rotations, one a millisecond, from
	// now to 5 s from now
	start := time.Now()
	earlier := map[string]bool{}
	for ms := 0; ms < 5000; ms++ {
		name := filepath.Join(home, "cfkd-"+start.Add(time.Duration(ms)*time.Millisecond).Format("2006-01-02T15-04-05.000")+".log")
		if earlier[name] {
			continue
		}
		earlier[name] = true
		if err := os.WriteFile(name, []byte("an earlier rotated file\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.putLocked([]byte(ts+" - INFO cfkd - record 2 "+big+"\n"), io.Discard) // rotates
	if time.Since(start) > 4*time.Second {
		t.Skip("too slow a file system to tell")
	}
	if n := s.errs.Load(); n != 0 {
		t.Fatalf("%d write errors", n)
	}
	ents, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	var records, kept int
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(home, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		records += bytes.Count(b, []byte(" INFO cfkd - record "))
		if string(b) == "an earlier rotated file\n" {
			kept++
		}
	}
	if records != 2 || kept != len(earlier) {
		t.Errorf("after a rotation: %d of the 2 records left, %d of the %d rotated files kept before: a rotation renamed over an earlier rotated file",
			records, kept, len(earlier))
	}
}
