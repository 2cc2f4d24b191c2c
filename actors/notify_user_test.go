package actors

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
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
	// the run ended: its uid is no longer taken there
	r.okDone("command down service s", 1)
	r.fake.exit(t, l.Pid, killedBy(syscall.SIGTERM))
	waitFor(t, "the uid let go once its run ended", func() bool { return len(shared.Allowed()) == 0 })
	r.ok("service t cmd=sleep 100", "service t user=root", "service t ready=notify")
	r.okDone("command start service t", 1)
	if got := notifySocket(r.fake.waitLaunch(t, 2).Spec.Env); got != sock {
		t.Fatalf("run as root: NOTIFY_SOCKET=%q, want %q", got, sock)
	}
}

// notifyRig is a rig with notify sockets whose users are nobody (uid
// nobodyUid) and root, with the log captured.
func notifyRig(t *testing.T, nobodyUid uint32) (*rig, *logCapture) {
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, func(o *Options) {
		o.NotifySocket = filepath.Join(t.TempDir(), "notify")
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "root" {
				return &syscall.Credential{Uid: 0, Gid: 0}, nil
			}
			return &syscall.Credential{Uid: nobodyUid, Gid: nobodyUid}, nil
		}
		l := quietLogger()
		l.SetLevel(logrus.DebugLevel)
		l.AddHook(logs)
		o.Log = l
	})
	return r, logs
}

// TestSharedNotifyTakesOnlyTheRunsUid: a datagram on the shared socket
// (any local user can reach it) counts only for the run given that
// socket, and only from that run's uid. Routed by pid alone, a process of
// another user could make a root service ready: its pid, kept a while
// before any run had it, reused by that service (REFERENCE §2.9).
func TestSharedNotifyTakesOnlyTheRunsUid(t *testing.T) {
	t.Parallel()
	uid := uint32(os.Getuid() + 4242)
	r, logs := notifyRig(t, uid)
	r.ok("service s cmd=sleep 100", "service s user=nobody", "service s ready=notify", "service s startwait_secs=0.02",
		"service r cmd=sleep 100", "service r user=root", "service r ready=notify", "service r startwait_secs=0.02")
	r.okDone("command start service s", 1)
	ps := r.fake.waitLaunch(t, 1).Pid
	r.okDone("command start service r", 1)
	pr := r.fake.waitLaunch(t, 2).Pid
	send := func(pid int, from uint32, shared bool) {
		r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Uid: int(from), Shared: shared,
			Fields: map[string]string{"READY": "1"}}})
	}
	send(pr, uid, true) // root's run, from the shared socket
	logs.wait(t, fmt.Sprintf("r: notify datagram from uid %d on the shared socket, not this run's: dropped", uid))
	send(ps, uid+1, true) // s's run, from another uid
	logs.wait(t, fmt.Sprintf("s: notify datagram from uid %d on the shared socket, not this run's: dropped", uid+1))
	send(ps, uid, true)
	r.expectSeq("s", starting, running)
	send(pr, 0, false) // cfkd's own socket
	r.expectSeq("r", starting, running)
}

// TestEarlyNotifyKeptFromAFloodOfAnotherUid: the datagrams kept for a pid
// no run has yet are bounded; past the bound, the uid that has the most
// kept loses its oldest. A user flooding the shared socket from pids of
// its own evicted a root service's early READY=1 (its oldest): the run
// was stopped as not ready.
func TestEarlyNotifyKeptFromAFloodOfAnotherUid(t *testing.T) {
	t.Parallel()
	uid := uint32(os.Getuid() + 4242)
	r, _ := notifyRig(t, uid)
	r.ok("service r cmd=sleep 100", "service r user=root", "service r ready=notify", "service r startwait_secs=0.02",
		"service r ready_timeout_secs=30")
	r.fake.mu.Lock()
	next := r.fake.nextPid
	r.fake.mu.Unlock()
	send := func(pid int, from uint32, shared bool, fields map[string]string) {
		r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Uid: int(from), Shared: shared, Fields: fields}})
	}
	send(next, 0, false, map[string]string{"READY": "1"}) // before its run is known
	for i := range 2 * maxUnrouted {
		send(900000+i, uid, true, map[string]string{"WATCHDOG": "1"})
	}
	r.okDone("command start service r", 1)
	if l := r.fake.waitLaunch(t, 1); l.Pid != next {
		t.Fatalf("launched as pid %d, want %d", l.Pid, next)
	}
	r.expectSeq("r", starting, running)
}

// TestSharedNotifyCheckCrossesAnUpgrade: a datagram of another uid on
// the shared socket, kept for a frozen service during an upgrade in
// place, is replayed in the new cfkd as what it is: from that uid, on the
// shared socket, and dropped. It was replayed as one of cfkd's own socket,
// and made a root service ready.
func TestSharedNotifyCheckCrossesAnUpgrade(t *testing.T) {
	t.Parallel()
	uid := uint32(os.Getuid() + 4242)
	old, _ := notifyRig(t, uid)
	old.ok("service r cmd=sleep 100", "service r user=root", "service r ready=notify", "service r startwait_secs=0.02")
	old.okDone("command start service r", 1)
	pid := old.fake.waitLaunch(t, 1).Pid
	old.expectSeq("r", starting)
	old.export(true)
	old.tree.System.Root.Send(old.servicePID("r"), notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Uid: int(uid), Shared: true,
		Fields: map[string]string{"READY": "1"}}})
	ex := old.export(true)
	if n := ex.Services[0].Notified; len(n) != 1 || n[0].Uid != int(uid) || !n[0].Shared {
		t.Fatalf("notified in the export: %+v", n)
	}

	logs := &logCapture{changed: make(chan struct{})}
	nw := newRig(t, func(o *Options) {
		o.NotifySocket = filepath.Join(t.TempDir(), "notify")
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
		l := quietLogger()
		l.SetLevel(logrus.DebugLevel)
		l.AddHook(logs)
		o.Log = l
	})
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, fmt.Sprintf("r: notify datagram from uid %d on the shared socket, not this run's: dropped", uid))
	if st := nw.status("r"); st[1] != "starting" {
		t.Fatalf("r is %q after the replay of another uid's READY=1", st)
	}
}
