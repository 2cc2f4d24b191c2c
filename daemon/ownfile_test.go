package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/logconf"
	"github.com/sirupsen/logrus"
)

// The files whose lines cfkd obeys (-c, -l) are refused when a user other
// than root and cfkd's could change them (REFERENCE §7.2): a file of
// theirs, one they may write, one reached through a directory of theirs,
// one anyone may write, or a symlink of theirs; cfkd's own, root's, and
// an fd its caller handed over are taken.
func TestObeyedFileOfAnotherUserRefused(t *testing.T) {
	top := t.TempDir()
	file := func(p string, mode os.FileMode) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("# nothing\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dir := func(p string, mode os.FileMode) string {
		t.Helper()
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open := dir(filepath.Join(top, "open"), 0o777)
	sticky := dir(filepath.Join(top, "sticky"), 0o777|os.ModeSticky)
	own := file(filepath.Join(top, "own.conf"), 0o644)
	groupWritable := file(filepath.Join(top, "group.conf"), 0o664)
	cases := []struct {
		path   string
		create bool
		want   string
	}{
		{own, false, ""},
		{file(filepath.Join(sticky, "mine.conf"), 0o600), false, ""},
		{filepath.Join(top, "missing.conf"), true, ""},
		{"/dev/fd/3", false, ""}, // the caller's fd: its choice
		{file(filepath.Join(top, "open.conf"), 0o666), false, "open.conf: writable by others (mode 0666): any user could choose WHAT (chmod o-w "},
		{file(filepath.Join(open, "in-open.conf"), 0o644), false, open + " is writable by others (mode 0777, no sticky bit): any user could put another file or a symlink in its place"},
		{filepath.Join(open, "missing.conf"), true, open + " is writable by others"},
	}
	if os.Getegid() != 0 {
		cases = append(cases, struct {
			path   string
			create bool
			want   string
		}{groupWritable, false, "group.conf: writable by the members of group "})
	}
	if os.Geteuid() == 0 {
		const nobody = 65534
		theirs := file(filepath.Join(top, "theirs.conf"), 0o644)
		theirDir := dir(filepath.Join(top, "their-dir"), 0o755)
		inTheirDir := file(filepath.Join(theirDir, "x.conf"), 0o644)
		link := filepath.Join(sticky, "link.conf")
		if err := os.Symlink(own, link); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{theirs, theirDir, link} {
			if err := os.Lchown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		theirGroup := file(filepath.Join(top, "their-group.conf"), 0o664)
		if err := os.Chown(theirGroup, 0, nobody); err != nil {
			t.Fatal(err)
		}
		rootGroup := file(filepath.Join(top, "root-group.conf"), 0o664)
		if err := os.Chown(rootGroup, 0, 0); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, []struct {
			path   string
			create bool
			want   string
		}{
			{theirs, false, "theirs.conf: owned by uid 65534, neither root nor cfkd's user (uid 0): that user could choose WHAT (chown 0 "},
			{inTheirDir, false, theirDir + " is owned by uid 65534: uid 65534 could put another file or a symlink in its place, and choose WHAT"},
			{link, false, link + " is owned by uid 65534, in a directory others may write: uid 65534 could put"},
			{theirGroup, false, "their-group.conf: writable by the members of group 65534 (mode 0664): the members of group 65534 could choose WHAT (chmod g-w "},
			{rootGroup, false, ""}, // a group of root's, as for a directory
		}...)
	}
	for _, c := range cases {
		err := checkObeyedFile("-c", "WHAT", c.path, c.create)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want it taken", c.path, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", c.path, err, c.want)
		case err != nil && !strings.HasPrefix(err.Error(), "-c "+c.path+": "):
			t.Errorf("%s: %v, want it to name the flag and the file", c.path, err)
		}
	}
	// the log configuration read again (SIGUSR1): a file anyone may
	// write since is refused, the configuration in force kept
	lc := file(filepath.Join(top, "log.config"), 0o600)
	log := logrus.New()
	log.SetOutput(io.Discard)
	router := logconf.NewRouter(top, log, log)
	defer router.Close()
	inForce := logInForce{flag: "-l"}
	if err := inForce.load(router, lc, nil); err != nil {
		t.Fatalf("log config of cfkd's user's: %v", err)
	}
	if err := os.Chmod(lc, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := inForce.load(router, lc, nil); err == nil || !strings.Contains(err.Error(), "-l "+lc+": writable by others (mode 0666): any user could choose "+logConfigChooses) {
		t.Errorf("reload of a log config anyone may write: %v, want it refused", err)
	}
}

// cfkd refuses at start a -c or -l file that another user could change,
// saying which and how to fix it, before it loads anything (REFERENCE
// §7.2).
func TestStartRefusesConfigOthersMayWrite(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o666); err != nil {
			t.Fatal(err)
		}
		return p
	}
	conf := write("cfkd.conf", "service a cmd=sleep 100\n") // nothing started: nothing left if it is loaded
	logConf := write("log.config", "level = debug\n")
	// the default of -l, HOME/log.config: named as what it is, not as a
	// flag that was not given
	ownHome := filepath.Join(dir, "own")
	if err := os.Mkdir(ownHome, 0o700); err != nil {
		t.Fatal(err)
	}
	defaultConf := write("own/log.config", "level = debug\n")
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"-c", conf}, "cfkd: -c " + conf + ": writable by others (mode 0666): any user could choose " + configChooses + " (chmod o-w " + conf + ")"},
		{[]string{"-l", logConf}, "cfkd: -l " + logConf + ": writable by others (mode 0666): any user could choose " + logConfigChooses},
		{[]string{"--home", ownHome}, "cfkd: log configuration " + defaultConf + ": writable by others (mode 0666): any user could choose " + logConfigChooses},
	} {
		sock := filepath.Join(dir, "sock")
		done := make(chan error, 1)
		go func() {
			done <- Run(append([]string{"--home", filepath.Join(dir, "home"), "-a", "unix:" + sock}, c.flags...), io.Discard, io.Discard)
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%v: cfkd neither refused the file nor stopped", c.flags)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run %v: %v, want %q", c.flags, err, c.want)
		}
		if _, serr := os.Stat(sock); !os.IsNotExist(serr) {
			t.Errorf("%v: the console socket is there: %v", c.flags, serr)
		}
	}
}

// A --fleet-ca or --fleet-inventory that another user could change is
// refused at start, as -c is: whoever may write the CA chooses who may
// act on this cfkd (their own hub), the inventory where a hub sends its
// commands (REFERENCE §7.2).
func TestFleetFilesOthersMayWriteRefused(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("# nothing\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o666); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca, inv := open("ca.pem"), open("inventory")
	log := logrus.New()
	log.SetOutput(io.Discard)
	for _, c := range []struct {
		ff   FleetFlags
		want string
	}{
		{FleetFlags{Listen: "127.0.0.1:0", CA: ca}, "cfkd: --fleet-ca " + ca + ": writable by others (mode 0666): any user could choose " + fleetCAChooses},
		{FleetFlags{Listen: "127.0.0.1:0", Inventory: inv}, "cfkd: --fleet-inventory " + inv + ": writable by others (mode 0666): any user could choose " + inventoryChooses},
	} {
		n, err := newFleet(c.ff, log)
		if n != nil {
			n.Stop()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("newFleet %+v: %v, want %q", c.ff, err, c.want)
		}
	}
}
