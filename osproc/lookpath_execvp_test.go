package osproc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// execvpTree makes under a fresh directory top: good/prog (a script),
// loop (a symlink to itself), good/lp (a symlink loop of two links) and
// other/lp (a script of that name). top and its parent are searchable by
// all.
func execvpTree(t *testing.T) (top string) {
	t.Helper()
	top = t.TempDir()
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"good", "other"} {
		if err := os.Mkdir(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := []byte("#!/bin/sh\n")
	for _, f := range []string{"good/prog", "other/lp", "other/prog"} {
		if err := os.WriteFile(filepath.Join(top, f), script, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{"loop": "loop", "good/lp": "lp2", "good/lp2": "lp"} {
		if err := os.Symlink(to, filepath.Join(top, link)); err != nil {
			t.Fatal(err)
		}
	}
	return top
}

// TestLookPathStopsWhereExecvpStops: execvp(3) goes on to the next
// directory of the PATH after an EACCES, ENOENT, ESTALE, ENOTDIR, ENODEV
// or ETIMEDOUT only; at any other error of its execve (a symlink loop, a
// name too long) it fails with it. cfkd passed over such an entry and
// ran a later one, which the process's own execvp would not have
// (REFERENCE §2.4).
func TestLookPathStopsWhereExecvpStops(t *testing.T) {
	top := execvpTree(t)
	good, other, loop := filepath.Join(top, "good"), filepath.Join(top, "other"), filepath.Join(top, "loop")
	long := strings.Repeat("a", 300) // beyond NAME_MAX
	for _, c := range []struct {
		what, file, path, want string
		errno                  error
	}{
		{"a PATH entry that is a symlink loop", "prog", loop + ":" + good, "exec prog: " + loop + "/prog: too many levels of symbolic links", syscall.ELOOP},
		{"a program that is a symlink loop", "lp", good + ":" + other, "exec lp: " + good + "/lp: too many levels of symbolic links", syscall.ELOOP},
		{"a name too long", long, filepath.Join(top, "none") + ":" + good, "exec " + long + ": file name too long", syscall.ENAMETOOLONG},
	} {
		got, _, err := lookPath(c.file, []string{"PATH=" + c.path}, "", nil)
		if err == nil || err.Error() != c.want || !errors.Is(err, c.errno) {
			t.Errorf("%s: lookPath = %q, %v; want %s", c.what, got, err, c.want)
		}
	}
	// after an ENOTDIR (a file as a PATH entry) and an ENOENT it goes on;
	// it skips an entry of PATH_MAX bytes or more (glibc's execvpe)
	got, _, err := lookPath("prog", []string{"PATH=" + filepath.Join(good, "prog") + ":" + filepath.Join(top, "none") + ":" + other}, "", nil)
	if want := filepath.Join(other, "prog"); err != nil || got != want {
		t.Errorf("ENOTDIR, ENOENT: lookPath = %q, %v; want %s", got, err, want)
	}
	got, _, err = lookPath("prog", []string{"PATH=/" + strings.Repeat("a", 4100) + ":" + other}, "", nil)
	if want := filepath.Join(other, "prog"); err != nil || got != want {
		t.Errorf("an entry beyond PATH_MAX: lookPath = %q, %.80v; want %s", got, err, want)
	}
	// the loop behind a directory the user may not search: its execve
	// meets EACCES there, and execvp goes on
	if os.Getuid() != 0 {
		return
	}
	priv := filepath.Join(top, "priv")
	if err := os.Mkdir(priv, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("l", filepath.Join(priv, "l")); err != nil {
		t.Fatal(err)
	}
	other54321 := &syscall.Credential{Uid: 54321, Gid: 54321}
	got, _, err = lookPath("prog", []string{"PATH=" + filepath.Join(priv, "l") + ":" + other}, "", other54321)
	if want := filepath.Join(other, "prog"); err != nil || got != want {
		t.Errorf("a loop behind a directory the user may not search: lookPath = %q, %v; want %s", got, err, want)
	}
}

// TestLookPathJoinsAsExecvp: execvp(3) joins a PATH entry and the name
// as they are, and the kernel resolves a `..` after a symlink from the
// link's target; cfkd cleaned the path (filepath.Join) and ran, or
// refused, another directory's file. The same for a relative program
// named by its path (`prog/` is no file: ENOTDIR, where the check said
// yes). A PATH set empty is one empty entry: the working directory.
func TestLookPathJoinsAsExecvp(t *testing.T) {
	top := execvpTree(t)
	// top/link -> other/sub: link/.. is other, lexically top
	if err := os.Mkdir(filepath.Join(top, "other", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("other/sub", filepath.Join(top, "link")); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(top, "link") + "/.."
	got, _, err := lookPath("lp", []string{"PATH=" + entry}, "", nil)
	if want := entry + "/lp"; err != nil || got != want {
		t.Errorf("PATH entry link/..: lookPath = %q, %v; want %s", got, err, want)
	}
	got, _, err = lookPath("link/../lp", nil, top, nil)
	if err != nil || got != "link/../lp" {
		t.Errorf("program link/../lp: lookPath = %q, %v; want it found", got, err)
	}
	got, _, err = lookPath("good/prog/", nil, top, nil)
	if err == nil || !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("program good/prog/: lookPath = %q, %v; want ENOTDIR", got, err)
	}
	got, _, err = lookPath("prog", []string{"PATH="}, filepath.Join(top, "good"), nil)
	if err != nil || got != "./prog" {
		t.Errorf("PATH empty: lookPath = %q, %v; want ./prog", got, err)
	}
}

// TestLookPathFollowsSymlinksAsTheUser: a symlink in a directory the
// service's user may search that leads under one it may not (pipx's
// /usr/local/bin/tool -> /root/.local/pipx/venvs/tool/bin/tool), or a
// PATH entry through such a link (`..` after it too), is that user's
// EACCES at its execve: execvp(3) passes over it for the next, where
// cfkd took it and the start failed 'permission denied' (REFERENCE §2.4).
func TestLookPathFollowsSymlinksAsTheUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the files are another user's to reach")
	}
	top := execvpTree(t)
	for _, d := range []string{"priv", "priv/bin", "priv/x", "pub"} {
		mode := os.FileMode(0o755)
		if d == "priv" {
			mode = 0o700
		}
		if err := os.Mkdir(filepath.Join(top, d), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(top, d), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"priv/bin/app", "other/app"} {
		if err := os.WriteFile(filepath.Join(top, f), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for link, to := range map[string]string{"pub/app": "../priv/bin/app", "pub/bin": "../priv/bin", "pub/x": "../priv/x"} {
		if err := os.Symlink(to, filepath.Join(top, link)); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(top, "other")
	cred := &syscall.Credential{Uid: 54321, Gid: 54321}
	for _, entry := range []string{"pub", "pub/bin", "pub/x/../bin"} {
		got, _, err := lookPath("app", []string{"PATH=" + top + "/" + entry + ":" + other}, "", cred) // not cleaned
		if want := filepath.Join(other, "app"); err != nil || got != want {
			t.Errorf("PATH entry %s: lookPath = %q, %v; want %s", entry, got, err, want)
		}
	}
	got, _, err := lookPath(filepath.Join(top, "pub/app"), nil, "", cred)
	if err == nil || !errors.Is(err, syscall.EACCES) {
		t.Errorf("by its path: lookPath = %q, %v; want EACCES", got, err)
	}
	// root may: the link is taken
	got, _, err = lookPath("app", []string{"PATH=" + filepath.Join(top, "pub") + ":" + other}, "", nil)
	if want := filepath.Join(top, "pub/app"); err != nil || got != want {
		t.Errorf("as root: lookPath = %q, %v; want %s", got, err, want)
	}
}

// TestLookPathDotDotAfterSymlinkAsTheUser: the directories a user must
// search to execute a PATH entry's file with a `..` after a symlink are
// those the kernel walks (the link's target's parent, /opt/rel/bin), not
// those of the path cleaned (/opt/app/bin, which the kernel never
// enters): a directory there that user may not search refused the
// program 'permission denied', where execvp(3) ran it.
func TestLookPathDotDotAfterSymlinkAsTheUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the files are another user's to reach")
	}
	top := execvpTree(t)
	for d, mode := range map[string]os.FileMode{"app": 0o755, "app/bin": 0o700, "rel": 0o755, "rel/v1": 0o755, "rel/bin": 0o755} {
		if err := os.MkdirAll(filepath.Join(top, d), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(top, d), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(top, "rel/bin/app"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../rel/v1", filepath.Join(top, "app/current")); err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: 54321, Gid: 54321}
	entry := top + "/app/current/../bin" // the kernel: top/rel/bin
	got, _, err := lookPath("app", []string{"PATH=" + entry}, "", cred)
	if want := entry + "/app"; err != nil || got != want {
		t.Errorf("PATH entry app/current/../bin: lookPath = %q, %v; want %s", got, err, want)
	}
	got, _, err = lookPath("app/current/../bin/app", nil, top, cred)
	if err != nil || got != "app/current/../bin/app" {
		t.Errorf("program app/current/../bin/app: lookPath = %q, %v; want it found", got, err)
	}
}

// TestLookPathStopsOnlyWhereTheUserReaches: a PATH entry that is a
// symlink loop stops execvp(3) only where its user may search the way to
// it; reached through a `..` after a symlink into a directory that user
// may not search (pub/cur/../loopdir, cur a link into priv), its execve
// meets EACCES first, and it goes on. The way was looked for in the path
// cleaned (pub/loopdir, not there, then pub, searchable), and the start
// failed 'too many levels of symbolic links' where execvp(3) ran
// other/app.
func TestLookPathStopsOnlyWhereTheUserReaches(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root: the files are another user's to reach")
	}
	top := execvpTree(t)
	for d, mode := range map[string]os.FileMode{"pub": 0o755, "priv": 0o700, "priv/v1": 0o755} {
		if err := os.MkdirAll(filepath.Join(top, d), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(top, d), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(top, "other/app"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, to := range map[string]string{"priv/loopdir": "loopdir", "pub/cur": "../priv/v1"} {
		if err := os.Symlink(to, filepath.Join(top, link)); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(top, "other")
	cred := &syscall.Credential{Uid: 54321, Gid: 54321}
	entry := top + "/pub/cur/../loopdir"
	got, _, err := lookPath("app", []string{"PATH=" + entry + ":" + other}, "", cred)
	if want := filepath.Join(other, "app"); err != nil || got != want {
		t.Errorf("lookPath = %q, %v; want %s", got, err, want)
	}
	// nothing later: the search fails as execvp(3) does, with the EACCES
	// it met there (REFERENCE §2.4), not 'not found in PATH'
	got, _, err = lookPath("app", []string{"PATH=" + entry}, "", cred)
	if want := "exec app: " + entry + "/app: permission denied"; err == nil || err.Error() != want {
		t.Errorf("alone in the PATH: lookPath = %q, %v; want %s", got, err, want)
	}
}
