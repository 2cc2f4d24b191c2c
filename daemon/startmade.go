package daemon

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// startMade is what a start of cfkd made, for a start refused before it
// serves to remove (REFERENCE §7.4): the directories of its home, the
// files that appeared in the home while it held the lock (its log,
// log.config, the notify socket), a log configuration it wrote elsewhere
// (-l). A refused start leaves nothing it made, and never removes what it
// did not make: a home that was there stays, with what was in it; a home
// whose lock another cfkd holds is not touched.
type startMade struct {
	dirs   []string        // made by mkdirHome, the deepest first
	home   string          // the home, once locked
	before map[string]bool // the home's entries once locked
	files  []string        // made outside the home
	kept   bool
}

// mkdirHome makes home as os.MkdirAll does (mode 0700, its errors),
// noting the directories it made: one that another made meanwhile is
// not noted.
func (m *startMade) mkdirHome(home string) error {
	abs, err := filepath.Abs(home)
	if err != nil {
		return err
	}
	var missing []string
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			break // MkdirAll says why
		}
		m.dirs = append([]string{missing[i]}, m.dirs...)
	}
	return os.MkdirAll(home, 0o700)
}

// locked notes the home's entries once this start holds its lock: those
// that appear later are this start's.
func (m *startMade) locked(home string) {
	entries, err := os.ReadDir(home)
	if err != nil {
		return // none is removed
	}
	m.home, m.before = home, map[string]bool{}
	for _, e := range entries {
		m.before[e.Name()] = true
	}
}

// file notes a file made outside the home.
func (m *startMade) file(path string) { m.files = append(m.files, path) }

// keep is called once cfkd serves: nothing is removed from then on.
func (m *startMade) keep() { m.kept = true }

// undoHome removes, unless kept, what the start made in its home and
// outside it. It runs while the lock is held, once the log is closed: a
// cfkd that takes the home once the lock is released makes its files
// after it, never removed here.
func (m *startMade) undoHome() {
	if m.kept {
		return
	}
	if m.before != nil {
		if entries, err := os.ReadDir(m.home); err == nil {
			for _, e := range entries {
				if !m.before[e.Name()] {
					os.Remove(filepath.Join(m.home, e.Name()))
				}
			}
		}
	}
	for _, f := range m.files {
		os.Remove(f)
	}
}

// undoDirs removes, unless kept, the directories the start made, once
// the lock is released (its file is in the home): only those left empty.
func (m *startMade) undoDirs() {
	if m.kept {
		return
	}
	for _, d := range m.dirs {
		os.Remove(d) // only when empty: what another put there stays
	}
}
