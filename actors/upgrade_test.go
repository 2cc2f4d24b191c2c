package actors

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
)

// upgradeHook records the upgrades asked, answered by the test.
type upgradeHook struct {
	asked chan upgradeAsk
}

type upgradeAsk struct {
	path   string
	answer func(messages.Reply)
}

func withUpgrade(h *upgradeHook) func(*Options) {
	return func(o *Options) {
		o.Upgrade = func(path string, answer func(messages.Reply)) { h.asked <- upgradeAsk{path, answer} }
	}
}

// `command upgrade` goes to the hook, once at a time; a shutdown waits
// for it to be over, and an upgrade is refused once a shutdown began.
func TestUpgradeCommandGuards(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.fails("command upgrade", "upgrade in place is not available here")

	h := &upgradeHook{asked: make(chan upgradeAsk, 2)}
	r = newRig(t, withUpgrade(h))
	rep := r.async("command upgrade /new/cfkd")
	var a upgradeAsk
	select {
	case a = <-h.asked:
	case <-time.After(deadline):
		t.Fatal("the hook was not called")
	}
	if a.path != "/new/cfkd" {
		t.Errorf("path %q", a.path)
	}
	r.fails("command upgrade", "an upgrade is already under way")
	r.fails("command shutdown", "an upgrade is under way")
	r.noReply("upgrade", rep, 50*time.Millisecond)
	a.answer(messages.Reply{Lines: []string{"upgrading to cfkd x"}})
	if got := r.reply("upgrade", rep); got.Err != nil || !slices.Equal(got.Lines, []string{"upgrading to cfkd x"}) {
		t.Fatalf("reply %v %q", got.Err, got.Lines)
	}
	r.ok("command shutdown")
	r.fails("command upgrade", "cfkd is shutting down")
}

// A freezing export answers every service's state and stashes what
// comes after: changes are refused, queries answered; an exit reaped
// meanwhile is in the second export; thaw handles it.
func TestExportFreezeThaw(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.ok("service idle cmd=sleep 1")
	ex := r.export(true)
	if len(ex.Services) != 2 || ex.Services[0].Config.Name != "idle" || ex.Services[1].Lifecycle.Pid != pid ||
		ex.Services[1].Lifecycle.State != messages.Running {
		t.Fatalf("exported %+v", ex.Services)
	}
	r.fails("command stop service s", ErrUpgrading.Error())
	r.fails("service s desc=x", ErrUpgrading.Error())
	// a pipelined run of declarations (batch.go) is refused line by line
	var b declareBatch
	for _, l := range []string{"service s desc=x", "service new cmd=sleep 1"} {
		st, err := messages.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		b.decls = append(b.decls, st.(messages.SetServiceAttr))
	}
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, b, deadline).Result()
	if d, ok := res.(declared); err != nil || !ok || len(d.replies) != 2 ||
		d.replies[0].Err != ErrUpgrading || d.replies[1].Err != ErrUpgrading {
		t.Fatalf("a batch of declarations while frozen: %#v %v", res, err)
	}
	if st := r.status("s"); st[1] != "running" {
		t.Errorf("status while frozen %q", st)
	}
	r.fake.exit(t, pid, exitCode(3)) // reaped before the launcher froze
	r.expectQuiet("s", 50*time.Millisecond)
	ex = r.export(true)
	if e := ex.Services[1].Exits; len(e) != 1 || e[0].Pid != pid || e[0].Status.ExitStatus() != 3 {
		t.Fatalf("exits in the second export: %+v", e)
	}
	if _, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	r.expectSeq("s", messages.Fail, messages.Starting) // the crash, handled once thawed: respawned
	r.ok("service s desc=x")
}

// exportSettled is export, asked again while it is refused with a `try
// again` of a proxy that has not heard yet that a service is down: a
// service says so to its proxy after it publishes the transition a test
// waits for (the step after the row, lifecycle.LeaveProxy).
func (r *rig) exportSettled(freeze bool) Exported {
	r.t.Helper()
	end := time.Now().Add(deadline)
	for {
		res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: freeze}, deadline).Result()
		if err != nil {
			r.t.Fatal(err)
		}
		ex := res.(Exported)
		if ex.Err == nil {
			return ex
		}
		if !strings.Contains(ex.Err.Error(), "is starting") || time.Now().After(end) {
			r.t.Fatal(ex.Err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) export(freeze bool) Exported {
	r.t.Helper()
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: freeze}, deadline).Result()
	if err != nil {
		r.t.Fatal(err)
	}
	ex := res.(Exported)
	if ex.Err != nil {
		r.t.Fatal(ex.Err)
	}
	return ex
}

// An sd_notify datagram that comes once the service is frozen is in the
// second export, with its fields.
func TestExportCarriesNotify(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.export(true)
	svc := r.servicePID("s")
	r.tree.System.Root.Send(svc, notifyReceived{msg: notify.Message{Pid: pid, Fields: map[string]string{"STATUS": "busy"}}})
	ex := r.export(true)
	if n := ex.Services[0].Notified; len(n) != 1 || n[0].Pid != pid || n[0].Fields["STATUS"] != "busy" {
		t.Fatalf("notified in the export: %+v", n)
	}
}

// An export cut short (a service still launching does not answer, the
// daemon gives up and thaws) does not keep the next one from running.
func TestThawEndsAnExportCutShort(t *testing.T) {
	t.Parallel()
	looking, lookup := make(chan struct{}, 1), make(chan struct{})
	r := newRig(t, func(o *Options) {
		o.Credential = func(string, string) (*syscall.Credential, error) {
			looking <- struct{}{}
			<-lookup
			return nil, nil
		}
	})
	r.ok("service s cmd=sleep 1", "service s user=nobody")
	ch := r.async("command start service s")
	select { // its launch waits for the lookup: it does not answer an export
	case <-looking:
	case <-time.After(deadline):
		t.Fatal("the start did not look its user up")
	}
	// the daemon's export, which it gives up on
	r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: true}, deadline)
	if _, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ThawState{}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	close(lookup)
	r.reply("start s", ch)
	if ex := r.export(false); len(ex.Services) != 1 {
		t.Fatalf("export after the thaw: %+v", ex)
	}
}
