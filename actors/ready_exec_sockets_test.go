package actors

import (
	"os"
	"strings"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// socketVarsIn returns the variables of the socket hand-over that env
// holds.
func socketVarsIn(env []string) []string {
	var got []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == "LISTEN_FDS" || k == "LISTEN_FDNAMES" || k == "LISTEN_PID" {
			got = append(got, kv)
		}
	}
	return got
}

// A ready=exec: probe gets none of the service's fds 3, 4, ..., so it
// is not told of them either (REFERENCE §2.9): its environment had the
// service's LISTEN_FDS and LISTEN_FDNAMES, and a probe with
// sd_listen_fds-aware code took its own fds 3.. for sockets. Both ways
// of making the probe's environment: the run's kept one, and one made
// afresh for a run adopted by an upgrade in place.
func TestExecProbeIsNotToldOfListenSockets(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.bindLoopback("web")
	old.ok("service a cmd=sleep 100", "service a listen_sockets=web", "service a ready=exec:true")
	old.okDone("command start service a", 1)
	svc := old.fake.waitLaunch(t, 1).Spec
	probe := old.fake.waitLaunch(t, 2).Spec
	if got := socketVarsIn(svc.Env); len(got) != 2 || len(svc.ExtraFiles) != 1 {
		t.Fatalf("the service has %q and %d fds 3..: want LISTEN_FDS and LISTEN_FDNAMES, and fd 3", got, len(svc.ExtraFiles))
	}
	if got := socketVarsIn(probe.Env); len(got) > 0 || len(probe.ExtraFiles) > 0 {
		t.Errorf("the probe has %q and %d fds 3..: want none", got, len(probe.ExtraFiles))
	}
	ex := old.export(true)

	nw := newRig(t, func(o *Options) {
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
	})
	st, files := &upgrade.State{Services: ex.Services}, map[int]*os.File{}
	for i, es := range ex.Sockets { // web, bound, crosses
		sock := es.Socket
		if es.File != nil {
			sock.Fd, files[100+i] = 100+i, es.File
		}
		st.Sockets = append(st.Sockets, sock)
	}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st, Files: files}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	probe = nw.fake.waitLaunch(t, 1).Spec // the new cfkd's probe of the adopted run
	if got := socketVarsIn(probe.Env); len(got) > 0 || len(probe.ExtraFiles) > 0 {
		t.Errorf("the adopted run's probe has %q and %d fds 3..: want none", got, len(probe.ExtraFiles))
	}
}
