package logconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file destination in a directory that another user may change is
// refused (REFERENCE §6.1): cfkd opens it as its user, following
// symlinks (and truncates it at a rotation), so nobody, who owned the
// directory of `service.web = file:DIR/web.log`, pointed web.log at a
// file of root's and had the service's lines appended to it, a shell's
// `; command` among them for a root login's .bashrc. One in a directory
// only root and cfkd's user may change is opened as before.
func TestDestinationAnotherUserMayRedirectRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a directory of another user's")
	}
	f := newFixture(t)
	top := t.TempDir()
	victim := filepath.Join(top, "victim")
	if err := os.WriteFile(victim, []byte("root's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(top, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(theirs, "web.log")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{theirs, link} {
		if err := os.Lchown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	f.apply(t, "cfkd = file:cfkd.log\n")
	cfg, err := Parse("log.config", strings.NewReader("cfkd = file:cfkd.log\nservice.web = file:"+link+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.r.Apply(cfg)
	want := "log destination file:" + link + ": " + theirs + " is owned by uid 65534: uid 65534 could make cfkd write to any file"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a destination in a directory of nobody's: %v, want %q", err, want)
	}
	f.r.ServiceLine("web", "out", 7, []byte("; echo pwned"))
	f.r.Sync()
	if b, _ := os.ReadFile(victim); string(b) != "root's\n" {
		t.Errorf("the file nobody's symlink names: %q", b)
	}
	// a directory of root's that a group may write (Ubuntu's /var/log,
	// group syslog): its members, not its owner, could redirect the file
	shared := filepath.Join(top, "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(shared, 0, 104); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o775); err != nil {
		t.Fatal(err)
	}
	cfg, err = Parse("log.config", strings.NewReader("cfkd = file:cfkd.log\nservice.web = file:"+filepath.Join(shared, "web.log")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.r.Apply(cfg)
	want = shared + " is writable by the members of group 104 (mode 0775, no sticky bit): the members of group 104 could make cfkd write to any file"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "trust_groups = 104") {
		t.Errorf("a destination in a directory group 104 may write: %v, want %q and the trust_groups hint", err, want)
	}
	// once its administrator trusts that group as root (Ubuntu's syslog):
	// opened; another group trusted does not do
	cfg, err = Parse("log.config", strings.NewReader("cfkd = file:cfkd.log\ntrust_groups = 7\nservice.web = file:"+filepath.Join(shared, "web.log")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err = f.r.Apply(cfg); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("group 7 trusted, a directory group 104 may write: %v, want %q", err, want)
	}
	f.apply(t, "cfkd = file:cfkd.log\ntrust_groups = 7, 104\nservice.web = file:"+filepath.Join(shared, "web.log")+"\n")
	for _, bad := range []string{"trust_groups = syslog", "trust_groups = 104,", "trust_groups = -1", "trust_groups = 4294967295"} {
		if _, err := Parse("log.config", strings.NewReader(bad+"\n")); err == nil || !strings.Contains(err.Error(), "bad trust_groups") {
			t.Errorf("%q: %v, want bad trust_groups", bad, err)
		}
	}
	// a new file in cfkd's own directory: opened
	own := filepath.Join(top, "own")
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	f.apply(t, "cfkd = file:cfkd.log\nservice.web = file:"+filepath.Join(own, "web.log")+"\n")
}
