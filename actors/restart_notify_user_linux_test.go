package actors

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// A restart of a service declared since with ready=notify and a user=
// that cannot enter cfkd's home, while cfkd has no shared notify socket,
// stopped the running process and then failed its start (REFERENCE §2.9:
// such a start is refused). The restart's check looks at it now: the
// restart is refused with the start's error, the process kept (§2.7).
func TestRestartToNotifyWithoutSharedSocketKeepsTheProcess(t *testing.T) {
	t.Parallel()
	uid := uint32(os.Getuid() + 4242)
	sock := filepath.Join(t.TempDir(), "notify")
	r := newRig(t, func(o *Options) {
		o.NotifySocket = sock
		// an adopted shared socket that is not one: none is bound
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		o.NotifyShared, o.NotifySharedFile = "not-abstract", devnull
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "root" {
				return &syscall.Credential{Uid: 0, Gid: 0}, nil
			}
			return &syscall.Credential{Uid: uid, Gid: uid}, nil
		}
	})
	if r.tree.notifyShared != nil {
		t.Fatal("a shared notify socket was bound")
	}
	r.setAutoTerm()
	pid := r.startRunning("s", "user=nobody")
	r.ok("service s ready=notify")
	want := "Service 's' cannot start: ready=notify with user=nobody: the notify socket " + sock +
		" is in cfkd's home (mode 0700), which that user cannot enter, and cfkd has no shared notify socket (its log says why)"
	r.fails("command restart service s", want)
	r.fails("command rollingrestart service s", want)
	if sigs := r.fake.signalsTo(pid); len(sigs) != 0 {
		t.Fatalf("the running process got %v for a restart its start refuses", sigs)
	}
	r.expectQuiet("s", 50*time.Millisecond)
	if st := r.status("s"); st[1] != "running" || st[2] != strconv.Itoa(pid) {
		t.Fatalf("status %q, want s still running as pid %d", st, pid)
	}
	// run as root, it gets cfkd's own socket: the restart restarts
	r.ok("service s user=root")
	r.okDone("command restart service s", 1)
	r.expectSeq("s", stopping, stopped, starting)
}
