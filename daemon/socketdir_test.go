package daemon

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A UNIX console socket in a directory another user may change was
// taken: cfkd bound it there, then chowned and chmodded it by name for
// --admin-group, so that the directory's owner could swap it for a
// symlink in between (to /etc/shadow: made mode 0660, group GROUP), or
// for a socket of theirs that cfkd's clients then talked to (REFERENCE
// §5.2). cfkd refuses such a directory at start now, as it does such a
// home; its own, and a sticky one such as /tmp, are taken.
func TestSocketDirOfAnotherUserRefused(t *testing.T) {
	top := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(top, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type refusal struct{ dir, want string }
	refused := []refusal{{mk("open", 0o777), "open is writable by others (mode 0777, no sticky bit): that user could put a socket of theirs"}}
	var extra []string
	if os.Geteuid() == 0 {
		const nobody = 65534
		theirs := mk("theirs", 0o755)
		if err := os.Chown(theirs, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		refused = append(refused, refusal{theirs, "theirs is owned by uid 65534: that user could put"})
		extra = []string{"--admin-group", "65534"}
	}
	for _, c := range refused {
		sock := filepath.Join(c.dir, "sock")
		err := runFor(t, sock, extra...)
		if err == nil || !strings.Contains(err.Error(), "cfkd: unix:"+sock+": "+top+"/"+c.want) {
			t.Errorf("socket in %s: %v, want it refused with %q", c.dir, err, c.want)
		}
		if _, err := os.Lstat(sock); err == nil {
			t.Errorf("socket in %s: made", c.dir)
		}
	}
	for _, dir := range []string{mk("own", 0o700), mk("sticky", 0o777|os.ModeSticky)} {
		if err := checkSocketDir(Address{Network: "unix", Addr: filepath.Join(dir, "sock")}); err != nil {
			t.Errorf("socket in %s: %v, want it taken", dir, err)
		}
	}
}

// runFor runs cfkd in this process on a home of its own with its console
// at sock, and returns Run's error; a cfkd that starts is shut down and
// reported as nil.
func runFor(t *testing.T, sock string, args ...string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- Run(append([]string{"--home", t.TempDir(), "-a", "unix:" + sock}, args...), io.Discard, io.Discard)
	}()
	end := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		if c, err := net.Dial("unix", sock); err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("command shutdown\n"))
			bufio.NewReader(c).ReadString('\n')
			c.Close()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("cfkd started and did not shut down")
			}
			return nil
		}
		if time.Now().After(end) {
			t.Fatal("cfkd neither started nor stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
