package logconf

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// logrotate moves the file under cfkd's open handle (and, with its
// `create`, makes an empty one in its place; without it, the reload's
// probe makes one); until the reload reopens the path, the rotator writes
// on into the moved file. A write that then crosses max_size_mb used to
// rename the file at the path, which was not the one it had filled: an
// empty svc-TIME.log, counted among max_backups, pushing a full one out.
// The file at the path is not the handle's: the rotator writes into it
// instead, and rotates nothing (REFERENCE §6.1).
func TestRotatorFollowsAFileMovedByLogrotate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		create bool // logrotate's create: an empty file at the path
	}{{"create", true}, {"nocreate", false}} {
		t.Run(tc.name, func(t *testing.T) {
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
			if err := os.Rename(path, path+".1"); err != nil { // logrotate
				t.Fatal(err)
			}
			if tc.create {
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 { // 200 KiB: the first fits in the moved file, the second does not
				if _, err := r.Write([]byte(rec)); err != nil {
					t.Fatal(err)
				}
			}
			sizes := map[string]int64{}
			var names []string
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				info, err := e.Info()
				if err != nil {
					t.Fatal(err)
				}
				names = append(names, e.Name())
				sizes[e.Name()] = info.Size()
			}
			sort.Strings(names)
			if len(names) != 2 || sizes["svc.log.1"] != int64(10*len(rec)) || sizes["svc.log"] != int64(len(rec)) {
				t.Fatalf("files %q, sizes %v; want svc.log.1 (%d bytes, logrotate's) and svc.log (%d bytes), no rotated file", names, sizes, 10*len(rec), len(rec))
			}
		})
	}
}

// The file at the path the rotator follows is rotated if it is full itself
// (a writer filled it meanwhile): that one, never an empty file.
func TestRotatorRotatesAFullSuccessor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	r := newRotator(path, 1, 5)
	defer r.Close()
	rec := strings.Repeat("x", 100<<10-1) + "\n"
	for range 10 { // 1000 KiB
		if _, err := r.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat(rec, 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte(rec)); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		name := e.Name()
		if strings.HasPrefix(name, "svc-") {
			name = "svc-TIME.log"
		}
		sizes[name] = info.Size()
	}
	want := map[string]int64{"svc.log.1": int64(10 * len(rec)), "svc-TIME.log": int64(10 * len(rec)), "svc.log": int64(len(rec))}
	if len(sizes) != 3 || sizes["svc.log.1"] != want["svc.log.1"] || sizes["svc-TIME.log"] != want["svc-TIME.log"] || sizes["svc.log"] != want["svc.log"] {
		t.Fatalf("files %v, want %v", sizes, want)
	}
}
