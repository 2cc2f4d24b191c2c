package logconf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// With max_backups 2, five records each more than half the maximum size
// make four rotations (some in one millisecond: counters): the file holds
// the last record, the two rotated files kept the two before it, and no
// record is in two files.
func TestRotatorKeepsTheNewestBackups(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	r := newRotator(path, 1, 2)
	defer r.Close()
	big := strings.Repeat("x", 600<<10)
	for i := 1; i <= 5; i++ {
		if _, err := fmt.Fprintf(r, "record %d %s\n", i, big); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			got = append(got, string(l[:8]))
		}
		if e.Name() != "svc.log" && (!strings.HasPrefix(e.Name(), "svc-") || !strings.HasSuffix(e.Name(), ".log")) {
			t.Errorf("rotated file named %q", e.Name())
		}
	}
	sort.Strings(got)
	if want := []string{"record 3", "record 4", "record 5"}; fmt.Sprint(got) != fmt.Sprint(want) || len(ents) != 3 {
		t.Fatalf("%d files holding %q, want 3 holding %q", len(ents), got, want)
	}
}
