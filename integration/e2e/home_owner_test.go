package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A home that another user made (`cfkd --home /tmp/pf` after nobody ran
// `mkdir /tmp/pf; ln -s /etc/shadow /tmp/pf/lock`) is refused before cfkd
// opens anything in it: it truncated the lock's target and wrote its pid
// there, and created its log where that user's symlink pointed
// (REFERENCE §7.2).
func TestHomeOfAnotherUserRefused(t *testing.T) {
	needRoot(t)
	top := sharedDir(t)
	if err := os.Chmod(top, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(top, "victim")
	if err := os.WriteFile(victim, []byte("root's\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(top, "home")
	if err := os.Mkdir(home, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(home, "lock")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{home, filepath.Join(home, "lock")} {
		if err := os.Lchown(p, nobodyUID, nobodyUID); err != nil {
			t.Fatal(err)
		}
	}
	d := launchDaemon(t, home)
	select {
	case <-d.exited:
	case <-time.After(deadline):
		t.Fatalf("cfkd started on a home of nobody's\n%s", d.stderr.String())
	}
	if d.err == nil || !strings.Contains(d.stderr.String(), "cfkd: home "+home+": owned by uid 65534, not by cfkd's user (uid 0)") {
		t.Errorf("cfkd on a home of nobody's: %v\n%s", d.err, d.stderr.String())
	}
	if b, err := os.ReadFile(victim); err != nil || string(b) != "root's\n" {
		t.Errorf("the file the lock's symlink names: %q, %v; want it untouched", b, err)
	}
	if ents, _ := os.ReadDir(home); len(ents) != 1 {
		t.Errorf("cfkd wrote in a home of nobody's: %v", ents)
	}
}
