package logconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The rotator keeps "the newest max_backups by the time in their names,
// then their counter" and names a second rotation within one millisecond
// NAME-TIME-1.EXT. The counter restarted at the lowest free name: once
// prune removed NAME-TIME.EXT, the next rotation within that millisecond
// was named NAME-TIME.EXT again (counter 0), sorted as older than
// NAME-TIME-1.EXT, and prune removed it at once: the newest rotated file
// was lost and an older one kept. With max_backups = 1 it took three
// rotations in one millisecond. After each rotation the one backup kept
// must hold the record written just before it.
func TestRotatorNeverReusesACounter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	// max of 10 bytes (max_size_mb is at least 1 MiB; the logic is the
	// same): every 8-byte record after the first rotates
	r := &rotator{path: path, max: 10, backups: 1}
	defer r.Close()
	end := time.Now().Add(time.Second)
	for i := 1; time.Now().Before(end); i++ {
		if _, err := fmt.Fprintf(r, "r%06d\n", i); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var backups []string
		for _, e := range ents {
			if e.Name() != "svc.log" {
				backups = append(backups, e.Name())
			}
		}
		if len(backups) != 1 {
			t.Fatalf("after record %d: backups %q, want 1", i, backups)
		}
		b, err := os.ReadFile(filepath.Join(dir, backups[0]))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("r%06d\n", i-1); string(b) != want {
			t.Fatalf("after record %d (a rotation): the backup kept, %s, holds %q, want %q: the newest rotated file was pruned",
				i, backups[0], strings.TrimSpace(string(b)), strings.TrimSpace(want))
		}
	}
}
