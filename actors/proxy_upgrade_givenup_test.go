package actors

import (
	"os"
	"syscall"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// REFERENCE §4.5, §7.5, §13.2: a start the service gave up before an
// upgrade in place (stopped before its proxy reported the pid) crosses
// with the time of its start line: the new cfkd kills its late
// `started` as the former would have, and once the proxy reports that
// process's exit ends what it left (EndLostStart, from that start line).
// A state of version 6 did not carry it: the `started` was an unknown
// service's, and its exit's orphans were left; such a state is still
// adopted as before.
func TestUpgradeCarriesAGivenUpStart(t *testing.T) {
	t.Parallel()
	t.Run("version 7", func(t *testing.T) {
		t.Parallel()
		nw, p, sent := givenUpStartAdopted(t, false)
		p.started("s", 301)
		nw.fake.waitSignal(t, 301, syscall.SIGKILL)
		p.stopped("s", 301, killedBy(syscall.SIGKILL))
		nw.fake.waitFor(t, "EndLostStart of s", func() bool { return len(nw.fake.lost) > 0 })
		if got := nw.fake.lostCalls(); len(got) != 1 || got[0].name != "s" || got[0].after != sent || got[0].after >= got[0].before {
			t.Fatalf("EndLostStart calls %+v, want one, for s, from its start line (%d)", got, sent)
		}
	})
	t.Run("version 6", func(t *testing.T) {
		t.Parallel()
		nw, p, _ := givenUpStartAdopted(t, true)
		p.started("s", 301) // an unknown service's: killed all the same
		nw.fake.waitSignal(t, 301, syscall.SIGKILL)
		p.stopped("s", 301, killedBy(syscall.SIGKILL))
		// its exit is an unknown service's: nothing is ended. A status
		// line after it, handled after it (in order), says when it was
		p.started("ghost", 302)
		nw.fake.waitSignal(t, 302, syscall.SIGKILL)
		if got := nw.fake.lostCalls(); len(got) != 0 {
			t.Fatalf("EndLostStart calls %+v, want none from a version 6 state", got)
		}
	})
}

// givenUpStartAdopted is givenUpStart (s under the played proxy p, its
// start given up), then the tree exported, frozen, and adopted by a new
// tree, as by the new cfkd of an upgrade in place (v6: from a state that
// does not carry the starts). It returns the new tree's rig, p (its
// pipes now read by the new tree) and when the start line was sent.
func givenUpStartAdopted(t *testing.T, v6 bool) (*rig, *playedProxy, uint64) {
	t.Helper()
	old, p := givenUpStart(t)
	ex := old.exportSettled(true)
	if len(ex.Proxies) != 1 || len(ex.Proxies[0].Services) != 1 {
		t.Fatalf("exported proxies %+v, want p running s", ex.Proxies)
	}
	px := &ex.Proxies[0]
	ps := &px.Services[0]
	if len(ps.Starts) != 1 || !ps.Starts[0].Left || ps.Starts[0].Pid != 0 || ps.Starts[0].Sent == 0 || !ps.Starts[0].StopAsked {
		t.Fatalf("exported starts of s %+v, want the one given up, with the time of its start line", ps.Starts)
	}
	sent := ps.Starts[0].Sent
	if v6 {
		ps.Starts = nil
	}
	nw := adoptProxied(t, ex, px)
	if s := nw.status("s"); s[1] != "stopped" {
		t.Fatalf("s %q after the adoption, want stopped", s)
	}
	return nw, p, sent
}

// adoptProxied restores ex, exported frozen by an old tree whose proxy px
// runs, in a new tree, as the new cfkd of an upgrade in place does: px's
// pipes are dup'ed (the old tree, frozen, keeps its own). opts are applied
// to the new tree's options after its adopting launcher is set. It returns
// the new tree's rig.
func adoptProxied(t *testing.T, ex Exported, px *upgrade.Proxy, opts ...func(*Options)) *rig {
	t.Helper()
	nw, files := adoptingRig(t, px, opts...)
	st := &upgrade.State{Services: ex.Services, Proxies: ex.Proxies}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st, Files: files}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	return nw
}

// adoptingRig is the new tree of adoptProxied, not yet restored, and
// the files of px's pipes its RestoreState is to carry.
func adoptingRig(t *testing.T, px *upgrade.Proxy, opts ...func(*Options)) (*rig, map[int]*os.File) {
	t.Helper()
	files := map[int]*os.File{}
	for _, fd := range []int{px.CmdFd, px.StatusFd, px.LogFd} {
		d, err := syscall.Dup(fd) // the old tree, frozen, keeps its own
		if err != nil {
			t.Fatal(err)
		}
		f := os.NewFile(uintptr(d), "pipe")
		t.Cleanup(func() { f.Close() })
		files[fd] = f
	}
	nw := newRig(t, append([]func(*Options){func(o *Options) {
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
	}}, opts...)...)
	return nw, files
}
