package logconf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris wherever the test runs
)

// The rotated files are named in local time, which goes through an hour
// twice when daylight saving time ends: a file rotated at 02:05 CET,
// after others rotated at 02:20 and 02:30 CEST, has the oldest name of
// them, and prune, which went by the names, removed it at once: the
// newest rotated file was lost, and an older one kept in its place. With
// max_backups 2, the two kept must hold the two records before the last,
// whatever the names say. Each write sets the file's time as the clock
// of that moment would have.
func TestRotatorKeepsTheNewestAcrossDSTFallBack(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET
	at := func(h, m int) time.Time { return time.Date(2026, 10, 25, h, m, 0, 0, time.UTC).In(paris) }
	writes := []time.Time{at(0, 5), at(0, 10), at(0, 20), at(0, 30), at(1, 5)} // the last at 02:05 CET
	var now time.Time
	defer func(old func() time.Time) { rotateNow = old }(rotateNow)
	rotateNow = func() time.Time { return now }

	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	r := newRotator(path, 1, 2)
	defer r.Close()
	big := strings.Repeat("x", 600<<10) // two do not fit in 1 MiB: each write after the first rotates
	for i, w := range writes {
		now = w
		if _, err := fmt.Fprintf(r, "record %d %s\n", i+1, big); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, w, w); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got, names []string
	for _, e := range ents {
		names = append(names, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			got = append(got, string(l[:8]))
		}
	}
	sort.Strings(got)
	if want := []string{"record 3", "record 4", "record 5"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files %q hold %q, want %q: the file rotated at 02:05 CET (record 4) was pruned", names, got, want)
	}
}
