package actors

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// ready=notify with a user= other than cfkd's (and not root) cannot work:
// the notify socket is in cfkd's home, of mode 0700 (REFERENCE §2.9). The
// start is refused with why, once; it was launched, stopped as not ready
// after ready_timeout_secs, and launched again until fatal (8 minutes with
// the defaults). The same service run as root, or without ready=notify,
// starts.
func TestNotifyWithAnotherUserRefused(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify")
	uid := uint32(os.Getuid() + 4242)
	r := newRig(t, func(o *Options) {
		o.NotifySocket = sock
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "root" {
				return &syscall.Credential{Uid: 0, Gid: 0}, nil
			}
			return &syscall.Credential{Uid: uid, Gid: uid}, nil
		}
	})
	r.ok("service s cmd=sleep 100", "service s user=nobody", "service s ready=notify")
	rep := r.exec("command start service s")
	want := "Service 's' cannot start: ready=notify with user=nobody: the notify socket " + sock + " is in cfkd's home (mode 0700), which that user cannot enter"
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), want) {
		t.Fatalf("start: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	r.fake.expectNoLaunch(t, 0, 0)
	r.ok("service s user=root")
	r.okDone("command start service s", 1)
	r.fake.waitLaunch(t, 1)
}
