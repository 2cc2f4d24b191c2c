package actors

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
)

// A datagram kept on cfkd's own socket before its sender's pid was known
// (REFERENCE §2.9) is taken only from root's or cfkd's user's process: a
// member of --admin-group reaches that socket too, and where pids wrap
// around in seconds (pid_max 32768) its READY=1, sent by a process that
// then exited, was kept and taken for the READY=1 of the root service
// whose new run got that pid: the run became running without being
// ready.
func TestNotifyKeptFromAnotherUidNotTaken(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) { o.NotifySocket = sock })
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.02", "service s ready=notify",
		"service s ready_timeout_secs=30", "service s respawn_on_fail=0")
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		// the datagram of nobody's process that had the pid before
		r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Uid: 65534, Fields: map[string]string{"READY": "1"}}})
		r.tree.System.Root.RequestFuture(r.tree.Controller, LookupService{Name: "s"}, deadline).Result()
	}
	r.fake.mu.Unlock()
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.expectNone("s", running, 500*time.Millisecond)
	r.shutdownClean()
}
