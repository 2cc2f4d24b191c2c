package daemon

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cfk/cfk/internal/safepath"
)

// A home and a -c file that cfkd's user's private group may write (made
// under umask 002 on Ubuntu) are taken; once that group has another
// member, they are refused, with the chmod hint (REFERENCE §7.2).
func TestPrivateGroupHomeAndConfigTaken(t *testing.T) {
	euid, gid := os.Geteuid(), os.Getegid()
	if euid == 0 {
		gid = 4242 // a group whose one member is root, below
	}
	if gid == 0 {
		t.Skip("the group of the user running is root's")
	}
	top := t.TempDir()
	home := filepath.Join(top, "home")
	conf := filepath.Join(top, "app.conf")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("service a cmd=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for p, mode := range map[string]os.FileMode{home: 0o770, conf: 0o664} {
		if err := os.Chown(p, euid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	accounts := func(group string) {
		dir := t.TempDir()
		p, g := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
		passwd := "root:x:0:0::/root:/bin/sh\nother:x:4243:4243::/:/bin/sh\n"
		if euid != 0 {
			passwd += "me:x:" + strconv.Itoa(euid) + ":" + strconv.Itoa(gid) + "::/:/bin/sh\n"
		}
		for f, text := range map[string]string{p: passwd, g: group} {
			if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(safepath.UseAccounts(p, g))
	}
	alone, shared := "root:x:0:\nme:x:"+strconv.Itoa(gid)+":", "root:x:0:\nme:x:"+strconv.Itoa(gid)+":other"
	if euid == 0 {
		alone += "root"
		shared += ",root"
	}
	accounts(alone + "\n")
	if err := checkHome(home); err != nil {
		t.Errorf("a home its user's private group may write: %v", err)
	}
	if err := checkObeyedFile("-c", configChooses, conf, false); err != nil {
		t.Errorf("a -c file its user's private group may write: %v", err)
	}

	accounts(shared + "\n")
	g := strconv.Itoa(gid)
	if err := checkHome(home); err == nil || !strings.Contains(err.Error(), "writable by the members of group "+g+" (mode 0770)") {
		t.Errorf("a home a group of two may write: %v", err)
	}
	want := "writable by the members of group " + g + " (mode 0664): the members of group " + g + " could choose " + configChooses + " (chmod g-w " + conf + ")"
	if err := checkObeyedFile("-c", configChooses, conf, false); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a -c file a group of two may write: %v, want %q", err, want)
	}
}
