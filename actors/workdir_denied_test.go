package actors

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// REFERENCE §2.4: a service without cwd runs in cfkd's working
// directory. One whose user may not enter it (a root cfkd started in
// /root, a service of user=nobody) ran there, nothing saying why its
// relative paths failed with permission denied (systemd runs it in /):
// its start now warns. Not when it has a cwd, nor when its user may
// enter cfkd's directory.
func TestWorkDirItsUserMayNotEnterWarns(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 65534 {
		t.Skip("runs as the uid the service is given")
	}
	base := t.TempDir()
	closed := filepath.Join(base, "closed")
	open := filepath.Join(base, "open")
	for d, mode := range map[string]os.FileMode{closed: 0o700, open: 0o755} {
		if err := os.Mkdir(d, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	for _, d := range []string{filepath.Dir(base), base} { // t.TempDir's are 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if !osproc.MayEnter(filepath.Dir(filepath.Dir(base)), &syscall.Credential{Uid: 65534, Gid: 65534}) {
		t.Skip("uid 65534 may not enter the temporary directory")
	}
	for _, c := range []struct {
		name, wd, cwd string
		warn          bool
	}{
		{"closed", closed, "", true},
		{"closed with cwd", closed, "/", false},
		{"open", open, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(logs), func(o *Options) {
				o.Credential = func(user, group string) (*syscall.Credential, error) {
					return &syscall.Credential{Uid: 65534, Gid: 65534}, nil
				}
				o.UserEnv = func(string) (string, string, string, bool) { return "/nonexistent", "nobody", "", true }
				o.workDir = func() (string, error) { return c.wd, nil }
			})
			r.ok("service s cmd=sleep 100", "service s user=nobody")
			if c.cwd != "" {
				r.ok("service s cwd=" + c.cwd)
			}
			r.okDone("command start service s", 1)
			r.fake.waitLaunch(t, 1) // the warning comes before the launch
			var got []string
			for _, w := range logs.warnings() {
				if strings.Contains(w, "working directory") {
					got = append(got, w)
				}
			}
			want := "warning: s: it has no cwd, so it runs in cfkd's working directory " + closed +
				", which uid 65534 may not enter: its relative paths fail with permission denied; set cwd (systemd runs a service in /)"
			switch {
			case c.warn && (len(got) != 1 || got[0] != want):
				t.Fatalf("warned %q, want %q", got, want)
			case !c.warn && len(got) != 0:
				t.Fatalf("warned %q", got)
			}
			r.shutdownClean()
		})
	}
}
