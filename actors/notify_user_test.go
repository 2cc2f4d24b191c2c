package actors

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// ready=notify with a user= other than cfkd's (and not root): that user
// cannot enter cfkd's home (mode 0700), where cfkd's notify socket is
// (REFERENCE §2.9). The run gets the shared socket instead, an abstract
// one, which is told to take that uid's datagrams; before, the start was
// refused. The same service run as root gets cfkd's socket in its home.
func TestNotifyWithAnotherUserGetsTheSharedSocket(t *testing.T) {
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
	notifySocket := func(env []string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
				return v
			}
		}
		return ""
	}
	r.ok("service s cmd=sleep 100", "service s user=nobody", "service s ready=notify")
	r.okDone("command start service s", 1)
	l := r.fake.waitLaunch(t, 1)
	shared := r.tree.notifyShared
	if shared == nil {
		t.Fatal("no shared notify socket")
	}
	if got := notifySocket(l.Spec.Env); got != shared.Path || !strings.HasPrefix(got, "@cfkd-notify-") {
		t.Fatalf("NOTIFY_SOCKET=%q, want the shared socket %q", got, shared.Path)
	}
	if got := shared.Allowed(); !slices.Equal(got, []int{int(uid)}) {
		t.Fatalf("the shared socket takes uids %v, want [%d]", got, uid)
	}
	r.ok("service t cmd=sleep 100", "service t user=root", "service t ready=notify")
	r.okDone("command start service t", 1)
	if got := notifySocket(r.fake.waitLaunch(t, 2).Spec.Env); got != sock {
		t.Fatalf("run as root: NOTIFY_SOCKET=%q, want %q", got, sock)
	}
}
