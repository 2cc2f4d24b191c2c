package actors

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// checkingFake is the fake launcher with a program lookup
// (ProgramChecker): missing is the one program it does not find.
type checkingFake struct {
	*fakeLauncher
	missing string
}

func (c checkingFake) CheckProgram(spec osproc.Spec) error {
	if spec.Argv[0] == c.missing {
		return fmt.Errorf("exec %s: executable file not found in PATH", c.missing)
	}
	return nil
}

// A restart after the declaration was changed to one that cannot start,
// for what only the disk or a name service tells (a program that is not
// there, an env_file missing, a user unknown), stopped the running
// process and then failed to start it: the service was left down. As
// `nginx -t` before a reload, the restart is now refused with the start's
// error, and the process runs on (REFERENCE §2.7, §1.4); once the
// declaration is fixed, the restart restarts.
func TestRestartRefusedByItsLaunchKeepsTheProcess(t *testing.T) {
	t.Parallel()
	var r *rig
	r = newRig(t, func(o *Options) {
		o.Launcher = checkingFake{fakeLauncher: o.Launcher.(*fakeLauncher), missing: "nosuch-prog"}
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "ghost" {
				return nil, errors.New(`unknown user "ghost"`)
			}
			return nil, nil
		}
	})
	r.setAutoTerm()
	pid := r.startRunning("s")
	missing := filepath.Join(t.TempDir(), "app.env")
	for _, c := range []struct{ decl, undo, want string }{
		{"service s env_file=" + missing, "service s env_file=", "Service 's' cannot start: env_file: open " + missing + ": no such file or directory"},
		{"service s user=ghost", "service s user=", `Service 's' cannot start: unknown user "ghost"`},
		{"service s cmd=nosuch-prog --flag", "service s cmd=sleep 100", "Service 's' cannot start: exec nosuch-prog: executable file not found in PATH"},
	} {
		r.ok(c.decl)
		r.fails("command restart service s", c.want)
		r.fails("command rollingrestart service s", c.want)
		if sigs := r.fake.signalsTo(pid); len(sigs) != 0 {
			t.Fatalf("%s: the running process got %v for a restart its start refuses", c.decl, sigs)
		}
		r.ok(c.undo)
	}
	r.expectQuiet("s", 50*time.Millisecond)
	if st := r.status("s"); st[1] != "running" || st[2] != strconv.Itoa(pid) {
		t.Fatalf("status %q, want s still running as pid %d", st, pid)
	}
	r.okDone("command restart service s", 1)
	r.expectSeq("s", stopping, stopped, starting)
	if sigs := r.fake.signalsTo(pid); len(sigs) == 0 || sigs[0] != syscall.SIGTERM {
		t.Fatalf("a restart that may start: the process got %v, want SIGTERM", sigs)
	}
}

// A restart's check whose user lookup never ends (an LDAP server that does
// not answer) does not hold a destroy: the destroy abandons it, stops the
// process and is answered; the restart is answered as any restart a
// destroy overtakes.
func TestDestroyAbandonsARestartsCheck(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	r, pid, restart := restartInSlowCheck(t, hang)
	r.noReply("the restart, its check hanging", restart, window)
	if sigs := r.fake.signalsTo(pid); len(sigs) != 0 {
		t.Fatalf("the process got %v while the restart's check runs", sigs)
	}
	r.okDone("command destroy service s", 1)
	if rep := r.reply("the restart", restart); rep.Err == nil || rep.Err.Error() != "Service 's' is being destroyed" {
		t.Fatalf("restart answered %v %q, want Service 's' is being destroyed", rep.Err, rep.Lines)
	}
}

// An export (an upgrade in place, REFERENCE §13) waits for a restart's
// check, as for a launch's outcome: a lifecycle exported in the middle of
// one would wait, in the new cfkd, for an answer that never comes.
func TestExportWaitsForARestartsCheck(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	r, _, restart := restartInSlowCheck(t, release)
	exported := make(chan Exported, 1)
	go func() {
		res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{}, deadline).Result()
		if err == nil {
			exported <- res.(Exported)
		}
		close(exported)
	}()
	select {
	case ex := <-exported:
		t.Fatalf("exported during the restart's check: %+v", ex)
	case <-time.After(window):
	}
	close(release)
	ex, ok := <-exported
	if !ok || ex.Err != nil || len(ex.Services) != 1 {
		t.Fatalf("export after the check: %+v (ok %v)", ex, ok)
	}
	if lc := ex.Services[0].Lifecycle; lc.Checking != 0 {
		t.Fatalf("exported with a check under way: %+v", lc)
	}
	if rep := r.reply("the restart", restart); rep.Err != nil {
		t.Fatalf("restart: %v", rep.Err)
	}
}

// restartInSlowCheck starts s, declares it user=slow, whose lookup waits
// for release, and sends a restart of it, returned once its check looks
// the user up.
func restartInSlowCheck(t *testing.T, release <-chan struct{}) (r *rig, pid int, restart <-chan messages.Reply) {
	t.Helper()
	inLookup := make(chan struct{}, 1)
	r = newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "slow" {
				inLookup <- struct{}{}
				<-release
			}
			return nil, nil
		}
	})
	r.setAutoTerm()
	pid = r.startRunning("s")
	r.ok("service s user=slow")
	restart = r.async("command restart service s")
	select {
	case <-inLookup:
	case <-time.After(deadline):
		t.Fatal("the restart's check never looked the user up")
	}
	return r, pid, restart
}
