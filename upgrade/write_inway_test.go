package upgrade

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSaysWhatIsInTheWay: a directory that is not empty where the
// state goes refuses the write with what it is and what to do, and is
// left as it was: it said 'open FILE: file exists', which tells nothing of
// a directory. An empty one, or a file of another kind, is removed as a
// stale state is.
func TestWriteSaysWhatIsInTheWay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upgrade.state")
	if err := os.MkdirAll(filepath.Join(path, "keep"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := Write(path, sample())
	want := "upgrade state: " + path + " is a directory, where cfkd writes the state of an upgrade in place, and cannot be removed (directory not empty): move it out of the way, then upgrade again"
	if err == nil || err.Error() != want {
		t.Fatalf("Write over a directory: %v, want %q", err, want)
	}
	if fi, err := os.Stat(filepath.Join(path, "keep")); err != nil || !fi.IsDir() {
		t.Fatalf("the directory's content was touched: %v", err)
	}

	for what, make := range map[string]func(string) error{
		"empty directory": func(p string) error { return os.Mkdir(p, 0o700) },
		"symlink":         func(p string) error { return os.Symlink("/nonexistent", p) },
		"file":            func(p string) error { return os.WriteFile(p, []byte("old"), 0o644) },
	} {
		p := filepath.Join(t.TempDir(), "upgrade.state")
		if err := make(p); err != nil {
			t.Fatal(err)
		}
		if err := Write(p, sample()); err != nil {
			t.Errorf("Write over a %s: %v", what, err)
			continue
		}
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("Write over a %s: %v %v, want a file 0600", what, fi.Mode(), err)
		}
		if _, err := Read(p); err != nil {
			t.Errorf("Write over a %s: read back: %v", what, err)
		}
	}
}
