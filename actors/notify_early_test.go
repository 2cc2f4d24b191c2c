package actors

import (
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
)

// TestNotifyReadySentDuringLaunch: Launch returns once the child has
// exec'd, so a service that says READY=1 at once (sd_notify as its first
// act, or `systemd-notify --ready; exec ...`) may have its datagram routed
// by the controller before the service actor handled forkDone and
// published the new pid (ServiceUpdated). The controller did not know the
// pid yet and dropped the datagram: the run never became running and was
// stopped as "Not ready after ...". It keeps it a while now.
func TestNotifyReadySentDuringLaunch(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) { o.NotifySocket = sock })
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.02", "service s ready=notify",
		"service s ready_timeout_secs=3", "service s respawn_on_fail=0")
	r.fake.mu.Lock()
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		// the child, exec'd, sends READY=1 before Launch returns; the
		// listener's goroutine hands it to the controller
		r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: notify.Message{Pid: pid, Pgid: pid, Fields: map[string]string{"READY": "1"}}})
		// and the controller routes it (its mailbox is FIFO: the lookup's
		// answer comes after the datagram was handled)
		r.tree.System.Root.RequestFuture(r.tree.Controller, LookupService{Name: "s"}, deadline).Result()
	}
	r.fake.mu.Unlock()
	r.okDone("command start service s", 1)
	// the process said READY=1 and lives past startwait_secs: running
	// (§2.9), well before ready_timeout_secs
	r.expectSeq("s", starting, running)
}
