package daemon

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A start refused before it serves removes what it made, and only that
// (REFERENCE §7.4): the directories of its home it made, the entries of
// the home that appeared once it held the lock, a file noted elsewhere;
// not the entries there before, nor a directory another filled.
func TestStartMadeUndoesOnlyItsOwn(t *testing.T) {
	top := t.TempDir()
	home := filepath.Join(top, "a", "b", "home")
	touch := func(p string) {
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := &startMade{}
	if err := m.mkdirHome(home); err != nil {
		t.Fatal(err)
	}
	if want := []string{home, filepath.Dir(home), filepath.Join(top, "a")}; !slices.Equal(m.dirs, want) {
		t.Fatalf("made %q, want %q", m.dirs, want)
	}
	m.undoHome()
	m.undoDirs()
	if _, err := os.Stat(filepath.Join(top, "a")); !os.IsNotExist(err) {
		t.Errorf("the directories it made are left: %v", err)
	}

	// a home that was there, with a file; a directory above it that
	// another fills meanwhile
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	touch(filepath.Join(home, "mine"))
	outside := filepath.Join(top, "log.config")
	m = &startMade{}
	if err := m.mkdirHome(home); err != nil || len(m.dirs) != 0 {
		t.Fatalf("a home that was there: made %q, %v", m.dirs, err)
	}
	m.locked(home)
	touch(filepath.Join(home, "cfkd.log"))
	touch(outside)
	m.file(outside)
	m.undoHome()
	m.undoDirs()
	entries, _ := os.ReadDir(home)
	if len(entries) != 1 || entries[0].Name() != "mine" {
		t.Errorf("the home there before holds %v, want only mine", entries)
	}
	if _, err := os.Stat(outside); !os.IsNotExist(err) {
		t.Errorf("the file it made elsewhere is left: %v", err)
	}

	// made, then filled by another: it stays with what they put there
	other := filepath.Join(top, "c", "home")
	m = &startMade{}
	if err := m.mkdirHome(other); err != nil {
		t.Fatal(err)
	}
	touch(filepath.Join(top, "c", "theirs"))
	m.undoHome()
	m.undoDirs()
	if _, err := os.Stat(filepath.Join(top, "c", "theirs")); err != nil {
		t.Errorf("what another put there: %v", err)
	}

	// kept once cfkd serves
	m = &startMade{}
	if err := m.mkdirHome(filepath.Join(top, "d")); err != nil {
		t.Fatal(err)
	}
	m.keep()
	m.undoHome()
	m.undoDirs()
	if _, err := os.Stat(filepath.Join(top, "d")); err != nil {
		t.Errorf("kept: %v", err)
	}
}
