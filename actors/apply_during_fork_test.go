package actors

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// REFERENCE §1.4 (apply): the services marked ~ that are starting or
// running are restarted, so that what runs is what the file declares. A
// service whose fork is under way (waiting for a fork slot, its spec
// built) shows `starting` without a pid, so an apply that changes its
// cmd does not restart it; the fork then ends with the spec built before
// the apply, and the process of the former declaration ran on while the
// apply answered `~ a: cmd` and no failure.
func TestApplyDuringForkRunsTheDeclaredCommand(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	inLaunch, release := r.holdLaunch()
	defer func() {
		if !isClosed(release) {
			close(release)
		}
	}()
	r.applyOK("", "service a cmd=sleep 100\nservice a startwait_secs=0.02\n", "+ a")
	start := r.async("command start service a")
	waitClosed(t, inLaunch, "launch")
	// the apply comes while the fork of sleep 100 is under way
	apply := r.asyncInOrder(applyReq("", "service a cmd=sleep 200\nservice a startwait_secs=0.02\n"))[0]
	// its first half done (the apply is in the controller's mailbox before
	// the inspect): declared, and nothing restarted yet
	if r.info("service a")[0].Cmd != "sleep 200" {
		t.Fatal("the apply's declaration is not in effect")
	}
	close(release)
	if rep := r.reply("start", start); rep.Err != nil {
		t.Fatalf("start: %v", rep.Err)
	}
	if rep := r.reply("apply", apply); rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ a: cmd"}) {
		t.Fatalf("apply: %q %v", rep.Lines, rep.Err)
	}
	// answered once what runs is the declaration: sleep 200, launched once
	var argvs []string
	for _, l := range r.fake.allLaunches() {
		argvs = append(argvs, fmt.Sprint(l.Spec.Argv))
	}
	if want := []string{"[sleep 100]", "[sleep 200]"}; !slices.Equal(argvs, want) {
		t.Fatalf("launches %q, want %q", argvs, want)
	}
	if in := r.info("service a"); len(in) != 1 || in[0].RunningFormer {
		t.Fatalf("after the apply: %+v", in)
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// The same apply while the launch is still looking up its user (db's
// respawn after a crash): the fork to come is of the new declaration, so
// nothing is restarted, and the apply is answered without waiting for
// the lookup (which may never end: a silent LDAP server), nor takes along
// app, which requires db and runs.
func TestApplyDuringLookupAnswersAtOnce(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	asked := make(chan string, 8)
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			asked <- user
			<-release
			return &syscall.Credential{Uid: 1001, Gid: 1001}, nil
		}
	})
	r.setAutoTerm()
	defer close(release)
	app := "service app cmd=sleep 1\nservice app startwait_secs=0\nservice app requires=db\n"
	r.applyOK("", "service db cmd=sleep 100\nservice db startwait_secs=0\n"+app, "+ app", "+ db")
	r.okDone("command start service app", 1)
	r.ok("service db user=alice") // for its next launch
	db := r.fake.waitLaunch(t, 1)
	r.fake.exit(t, db.Pid, exitCode(1)) // a crash: launched again at once, as alice
	select {
	case <-asked:
	case <-time.After(deadline):
		t.Fatal("no lookup")
	}
	r.applyOK("", "service db cmd=sleep 200\nservice db user=alice\nservice db startwait_secs=0\n"+app, "~ db: cmd")
	release <- struct{}{}
	if l := r.fake.waitLaunch(t, 3); fmt.Sprint(l.Spec.Argv) != "[sleep 200]" {
		t.Fatalf("db launched %q", l.Spec.Argv)
	}
	if n := r.fake.launchCount(); n != 3 {
		t.Fatalf("%d launches, want 3: db, app, db again (app not restarted)", n)
	}
}

// The same when the controller has not heard of the launch yet: the
// start is in the service's mailbox, or its launch under way, when the
// apply comes, and the service shows `stopped` (as for a backoff's retry
// that fires meanwhile). The service, which knows, restarts it.
func TestApplyRightAfterAStartRunsTheDeclaredCommand(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	inLaunch, release := r.holdLaunch()
	defer func() {
		if !isClosed(release) {
			close(release)
		}
	}()
	r.applyOK("", "service a cmd=sleep 100\nservice a startwait_secs=0.02\n", "+ a")
	r.okDone("command down service a", 0) // its actor exists, as after any start
	replies := r.asyncInOrder("command start service a", applyReq("", "service a cmd=sleep 200\nservice a startwait_secs=0.02\n"))
	waitClosed(t, inLaunch, "launch")
	if r.info("service a")[0].Cmd != "sleep 200" {
		t.Fatal("the apply's declaration is not in effect")
	}
	close(release)
	if rep := r.reply("start", replies[0]); rep.Err != nil {
		t.Fatalf("start: %v", rep.Err)
	}
	if rep := r.reply("apply", replies[1]); rep.Err != nil || !slices.Equal(rep.Lines, []string{"~ a: cmd"}) {
		t.Fatalf("apply: %q %v", rep.Lines, rep.Err)
	}
	var argvs []string
	for _, l := range r.fake.allLaunches() {
		argvs = append(argvs, fmt.Sprint(l.Spec.Argv))
	}
	if want := []string{"[sleep 100]", "[sleep 200]"}; !slices.Equal(argvs, want) {
		t.Fatalf("launches %q, want %q", argvs, want)
	}
}

// A service down under a noauto proxy that is down has no launch under
// way: the apply that changes it is no failure (a restart of it would be
// refused: `Proxy is not running`).
func TestApplyOfADownServiceUnderADownProxyIsNoFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	file := "proxy p cmd=x\nproxy p noauto=1\nproxy p service a cmd=sleep 1\n"
	r.applyOK("", file, "+ a", "+ proxy p")
	r.okDone("command down service a", 0) // its actor exists
	r.applyOK("", strings.Replace(file, "sleep 1", "sleep 2", 1), "~ a: cmd")
}
