package logconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logrotate's copytruncate (or an operator's `: > svc.log`) empties the
// file under cfkd's open handle: the rotator must go by the file's size,
// not by what it wrote, or it rotates a file far below max_size_mb (a
// 36 KB backup, pushing a full one out of max_backups).
func TestRotatorGoesByTheSizeOfATruncatedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	r := newRotator(path, 1, 5)
	defer r.Close()
	rec := strings.Repeat("x", 100<<10-1) + "\n"
	for range 9 { // 900 KiB
		if _, err := r.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(path, 0); err != nil { // copytruncate
		t.Fatal(err)
	}
	for range 2 { // 200 KiB: far below 1 MiB in the file
		if _, err := r.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || st.Size() != int64(2*len(rec)) {
		t.Fatalf("after a truncation and 200 KiB: files %q, svc.log %d bytes; want svc.log alone, %d bytes (no rotation)", names, st.Size(), 2*len(rec))
	}
}
