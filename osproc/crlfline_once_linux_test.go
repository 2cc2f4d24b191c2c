package osproc

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A launch reads its script's head once (locate, what Launch does before
// its fork): the look-up's interpreter check gives the `#!` line ending
// with "\r" that Launch warns of; crlfLine reads it only when the cache
// answered. It was read twice, once by each. The opens are the kernel's
// count, inotify's IN_OPEN (an IN_CLOSE_NOWRITE watched between them, as
// inotify merges an event with the identical one before it unread).
func TestLaunchReadsItsScriptOnce(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "crlf.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh -e\r\nexit 0\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skipf("no inotify: %v", err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, script, unix.IN_OPEN|unix.IN_CLOSE_NOWRITE); err != nil {
		t.Fatal(err)
	}
	var l Launcher // locate uses its path cache alone
	inPath := Spec{Argv: []string{"crlf.sh"}, Env: []string{"PATH=" + dir}}
	for _, c := range []struct {
		name   string
		spec   Spec
		cached bool
	}{
		{"by its path", Spec{Argv: []string{script}}, false},
		{"relative to its cwd", Spec{Argv: []string{"./crlf.sh"}, Dir: dir}, false},
		{"found in the PATH", inPath, false},
		{"found in the PATH, cached", inPath, true},
	} {
		_, crlf, cached, err := l.locate(c.spec)
		if err != nil || crlf != "#!/bin/sh -e\r" || cached != c.cached {
			t.Errorf("%s: locate = %q, cached %v, %v; want %q, cached %v", c.name, crlf, cached, err, "#!/bin/sh -e\r", c.cached)
		}
		if n := opens(t, fd); n != 1 {
			t.Errorf("%s: the script was opened %d times, want once", c.name, n)
		}
	}
}

// opens counts the IN_OPEN events queued on the inotify instance fd, and
// takes them all: the events of an open are queued by the open itself.
func opens(t *testing.T, fd int) int {
	t.Helper()
	n := 0
	buf := make([]byte, 4096)
	for {
		k, err := unix.Read(fd, buf)
		if err == unix.EAGAIN {
			return n
		}
		if err != nil {
			t.Fatalf("reading inotify: %v", err)
		}
		for b := buf[:k]; len(b) >= unix.SizeofInotifyEvent; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
			if ev.Mask&unix.IN_OPEN != 0 {
				n++
			}
			b = b[unix.SizeofInotifyEvent+int(ev.Len):]
		}
	}
}
