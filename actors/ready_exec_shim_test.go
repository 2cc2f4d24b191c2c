package actors

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
)

// REFERENCE §2.9: a ready=exec: probe is the service's own check, run
// as its user, in its cwd, with its environment, but it had cfkd's umask
// and limits of open files, not the service's umask and limit_nofile.
// It runs through the same shim now, without LISTEN_PID: both for the
// run cfkd launched and for one adopted by an upgrade in place. The
// probe's spec is run for real through /bin/sh.
func TestExecProbeHasTheServicesUmaskAndNofile(t *testing.T) {
	t.Parallel()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 200 {
		t.Skip("a hard limit of open files under 200")
	}
	const target = "echo $(umask) $(ulimit -S -n) $(ulimit -H -n) ${LISTEN_PID:-none}"
	check := func(what string, probe osproc.Spec) {
		t.Helper()
		if n := len(probe.Argv); n < 3 || !slices.Equal(probe.Argv[n-3:], []string{"/bin/sh", "-c", target}) {
			t.Fatalf("%s: probe argv %q, want it to end with /bin/sh -c TARGET", what, probe.Argv)
		}
		out, err := runSpec(t, probe)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := strings.TrimSpace(out); got != "0027 100 200 none" {
			t.Errorf("%s: the probe says %q, want `0027 100 200 none`", what, got)
		}
	}
	old := newRig(t)
	old.bindLoopback("web")
	old.ok("service a cmd=sleep 100", "service a umask=027", "service a limit_nofile=100:200",
		"service a listen_sockets=web", "service a ready=exec:"+target)
	old.okDone("command start service a", 1)
	old.fake.waitLaunch(t, 1)
	check("the run's probe", old.fake.waitLaunch(t, 2).Spec)
	ex := old.export(true)

	nw := newRig(t, func(o *Options) {
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
	})
	st, files := &upgrade.State{Services: ex.Services}, map[int]*os.File{}
	for i, es := range ex.Sockets {
		sock := es.Socket
		if es.File != nil {
			sock.Fd, files[100+i] = 100+i, es.File
		}
		st.Sockets = append(st.Sockets, sock)
	}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st, Files: files}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	check("the adopted run's probe", nw.fake.waitLaunch(t, 1).Spec)
}

// REFERENCE §2.9: under a proxy the service has the proxy's umask and
// limits, which cfkd does not know: its probe has cfkd's, as before; and
// a hard limit that cfkd may not raise for the probe's user leaves the
// probe cfkd's limits (its umask still the service's), where its shim
// would fail every try (exit 126) of a service that started.
func TestExecProbeShimOf(t *testing.T) {
	t.Parallel()
	spec := osproc.Spec{Env: []string{"PATH=/usr/bin:/bin"}}
	p := probeShim(&messages.ServiceConfig{Name: "s", Proxy: "p", Umask: "0027", LimitNofile: "100:100"}, spec, "true")
	if !slices.Equal(p.Argv, []string{"/bin/sh", "-c", "true"}) || p.Program != "" {
		t.Errorf("under a proxy: %q (%q), want /bin/sh -c true", p.Argv, p.Program)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max > 1<<29 {
		t.Skip("cfkd's hard limit: ", lim.Max, err)
	}
	spec.Credential = &syscall.Credential{Uid: uint32(os.Geteuid() + 1)}
	c := &messages.ServiceConfig{Name: "s", Umask: "0027", LimitNofile: fmt.Sprintf("%d:%d", lim.Max+1000, lim.Max+1000)}
	if nofileFor(c, spec.Credential) == nil {
		t.Fatal("nofileFor passes a raise for another uid")
	}
	p = probeShim(c, spec, "true")
	if len(p.Argv) != 6 || strings.Contains(p.Argv[2], "ulimit") || !strings.Contains(p.Argv[2], "umask 0027") {
		t.Errorf("a limit it may not raise: %q, want the umask alone", p.Argv)
	}
}
