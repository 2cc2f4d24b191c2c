//go:build linux

package daemon

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/osproc"
	"golang.org/x/sys/unix"
)

// orphanRig is an orphanKiller on a real launcher (one per test process
// at a time: these tests are not parallel) and a service "svc" that
// daemonised a worker, adopted by the launcher's process. Everything is
// killed and reaped when the test ends.
type orphanRig struct {
	k       *orphanKiller
	env     []string
	svc     *osproc.Process
	svcExit chan syscall.WaitStatus
	worker  int
}

// stopAndWait stops the service with sig as cfkd does (SignalStop),
// waits for its exit, then for the scan and the terminations it began.
func (r *orphanRig) stopAndWait(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := r.k.SignalStop(r.svc, sig); err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatalf("the service did not stop on %s", unix.SignalName(sig))
	}
	r.k.pending.Wait()
}

func newOrphanRig(t *testing.T, svcScript string) *orphanRig {
	t.Helper()
	return newOrphanRigEnv(t, svcScript)
}

// newOrphanRigEnv is newOrphanRig with the service's environment
// extended by env.
func newOrphanRigEnv(t *testing.T, svcScript string, env ...string) *orphanRig {
	t.Helper()
	r := &orphanRig{
		k:       newQuietOrphanKiller(t),
		env:     append(append(os.Environ(), "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=svc"), env...),
		svcExit: make(chan syscall.WaitStatus, 1),
	}
	l := r.k.Launcher
	// the orphans of an earlier test (a process it killed that has not
	// exited yet): none of them is this rig's worker
	earlier := map[int]uint64{}
	for _, o := range l.AdoptedOrphans() {
		earlier[o.Pid] = o.Start
	}
	var err error
	r.svc, err = r.k.Launch(osproc.Spec{
		Argv:   []string{"/bin/sh", "-c", `/bin/sh -c 'sleep 1000 </dev/null >/dev/null 2>&1 &'; ` + svcScript},
		Env:    r.env,
		Setsid: true,
		Tag:    actors.ServiceTag("svc"),
	}, func(_ int, ws syscall.WaitStatus) { r.svcExit <- ws })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before l.Close (LIFO)
		if r.worker != 0 {
			killOrphan(t, r.worker)
		}
		r.k.Launcher.Signal(r.svc, syscall.SIGKILL)
		select {
		case <-r.svcExit:
		case <-time.After(10 * time.Second):
			t.Errorf("service %d not reaped", r.svc.Pid)
		}
		r.k.pending.Wait()
	})
	for end := time.Now().Add(5 * time.Second); r.worker == 0; {
		for _, o := range l.AdoptedOrphans() {
			if start, seen := earlier[o.Pid]; o.Service == "svc" && (!seen || start != o.Start) {
				r.worker = o.Pid
			}
		}
		if r.worker == 0 {
			if time.Now().After(end) {
				t.Fatal("the service's worker was never adopted")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return r
}

// killOrphan ends orphan pid (adopted by the test process, reaped by the
// launcher) with SIGKILL, if it is still one, and waits until it is gone:
// a process that SIGKILL has not ended yet (it needs the CPU to exit) is
// still an orphan of its service, and the next rig (the next test, or the
// next run of -count) took it for its worker, and the other orphans of
// svc for the ones to look at. Its pid may be another process's once it
// is reaped: the start time tells.
func killOrphan(t *testing.T, pid int) {
	t.Helper()
	p, ok := osproc.ReadProc(pid)
	if !ok || p.Ppid != os.Getpid() || p.State == 'Z' {
		return
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for end := time.Now().Add(10 * time.Second); ; {
		q, ok := osproc.ReadProc(pid)
		if !ok || q.State == 'Z' || q.Start != p.Start {
			return
		}
		if time.Now().After(end) {
			t.Errorf("orphan %d (%s) lives on 10 s after SIGKILL", pid, q.Comm)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// workerAged waits until the clock of process start times (10 ms ticks)
// is past the worker's start: EndLeftovers spares what started at or
// after its call's tick (a new run's daemon), and the worker of a rig
// made a moment before could share that tick.
func (r *orphanRig) workerAged(t *testing.T) {
	t.Helper()
	p, ok := osproc.ReadProc(r.worker)
	if !ok {
		t.Fatalf("the worker (pid %d) is gone", r.worker)
	}
	for end := time.Now().Add(5 * time.Second); osproc.BootTicks() <= p.Start; {
		if time.Now().After(end) {
			t.Fatalf("the boot clock never passed the worker's start (%d ticks)", p.Start)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *orphanRig) workerAlive() bool {
	p, ok := osproc.ReadProc(r.worker)
	return ok && p.State != 'Z'
}

// An exec readiness probe (actors.execReady) is launched through the
// orphanKiller with the service's environment, CONTROL_FREAK_SERVICE
// included, but without the service's tag: it is not a process of the
// service. When the probe is cancelled or hangs 30 s, execReady sends it
// SIGKILL; tracked as the service's, it was marked "stopped by cfkd" and
// its exit ran the scan for the service's orphans: the daemons of a
// service that still runs were killed (REFERENCE §7.5: only once a
// service that cfkd stopped has exited).
func TestKilledExecProbeSparesRunningServicesDaemons(t *testing.T) {
	r := newOrphanRig(t, "exec sleep 1000")

	// the probe of ready=exec:..., with the service's environment, killed
	// as execReady kills a check that hangs or is cancelled
	probeExit := make(chan syscall.WaitStatus, 1)
	probe, err := r.k.Launch(osproc.Spec{Argv: []string{"/bin/sh", "-c", "sleep 1000"}, Env: r.env, Setsid: true},
		func(_ int, ws syscall.WaitStatus) { probeExit <- ws })
	if err != nil {
		t.Fatal(err)
	}
	if err := r.k.Signal(probe, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-probeExit:
	case <-time.After(10 * time.Second):
		t.Fatal("the probe was not reaped")
	}
	r.k.pending.Wait() // the scan and the terminations it began are over

	if !r.workerAlive() {
		t.Errorf("the worker (pid %d) of service svc, which still runs (pid %d), was killed because its readiness probe was", r.worker, r.svc.Pid)
		r.worker = 0
	}
}

// A service stopped by cfkd with its stop_signal (here INT: the service
// actor's Terminate sends it through SignalStop) and that exits of it is a
// service that cfkd stopped (REFERENCE §2.2: "Once a service that cfkd
// stopped has exited, the processes it left behind are terminated
// (§7.5)"). Only SIGTERM and SIGKILL marked a process stopped: its daemons
// outlived the stop, and a restart ran a second set beside them.
func TestStopSignalStopEndsDaemons(t *testing.T) {
	r := newOrphanRig(t, `trap 'exit 0' INT; while :; do sleep 0.05; done`)
	r.stopAndWait(t, syscall.SIGINT) // the stop, stop_signal=INT
	if r.workerAlive() {
		t.Errorf("service svc, stopped by cfkd with its stop_signal INT, has exited; its worker (pid %d) was left running", r.worker)
	}
}

// A service that exits on its own keeps its daemons while it is declared
// (REFERENCE §7.5); once it is destroyed nothing can stop them any more
// and no view shows them: EndLeftovers ends them. Before, they ran on until
// cfkd's shutdown, one more set for each crash of a crash-looping
// service.
func TestDestroyedServiceLeftoversEnded(t *testing.T) {
	r := newOrphanRig(t, `exit 1`) // exits on its own, its worker left
	select {
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not exit")
	}
	r.k.pending.Wait()
	if !r.workerAlive() {
		t.Fatalf("the worker (pid %d) of a service that exited on its own was ended while it is declared", r.worker)
	}
	r.workerAged(t)
	r.k.EndLeftovers("svc")
	r.k.pending.Wait() // the scan and the terminations it began
	if r.workerAlive() {
		t.Errorf("service svc destroyed; its worker (pid %d) was left running", r.worker)
	}
}

// A service stopped by a signal (SIGSTOP, a job-control stop) when cfkd
// stops it holds the stop signal pending: without a SIGCONT after it (as
// systemd, s6 and runit send) its TERM handler never ran, and it died of
// the SIGKILL stopwait_secs later, the stop ending in `fail` with
// `Received signal 9` instead of its clean exit.
func TestStopOfAStoppedServiceContinuesIt(t *testing.T) {
	r := newOrphanRig(t, `trap 'exit 0' TERM; kill -STOP $$; while :; do sleep 0.05; done`)
	for end := time.Now().Add(5 * time.Second); ; {
		if p, ok := osproc.ReadProc(r.svc.Pid); ok && p.State == 'T' {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the service never stopped itself")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.k.SignalStop(r.svc, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
		if !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("the stopped service ended with %v, want a clean exit 0 from its TERM handler", ws)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stopped service did not handle the SIGTERM of its stop: no SIGCONT was sent after it")
	}
}

// A member of a stopped service's group that outlives the stop's SIGTERM
// (it ignores it) and has a daemon of its own (in a session of its own):
// the scan at the service's exit finds the member, adopted, and ends it
// with SIGKILL; its daemon, its child at the scan, is adopted only then,
// and ran on until cfkd's shutdown although the service was stopped
// (REFERENCE §7.5).
func TestStopEndsTheDaemonsOfOrphansEndedByTheStop(t *testing.T) {
	r := newOrphanRig(t, `/bin/sh -c 'trap "" TERM; setsid sleep 1001 </dev/null >/dev/null 2>&1 & while :; do sleep 0.05; done' & while :; do sleep 0.05; done`)
	daemon := 0
	for end := time.Now().Add(5 * time.Second); daemon == 0; {
		for pid := range osproc.Descendants([]int{r.svc.Pid}) {
			if p, ok := osproc.ReadProc(pid); ok && p.Pgid == pid && p.Comm == "sleep" {
				daemon = pid
			}
		}
		if daemon == 0 {
			if time.Now().After(end) {
				t.Fatal("the member's daemon never started")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Cleanup(func() { killOrphan(t, daemon) })
	r.stopAndWait(t, syscall.SIGTERM)
	if p, ok := osproc.ReadProc(daemon); ok && p.State != 'Z' {
		t.Errorf("service svc stopped by cfkd has exited; the daemon (pid %d) of the group member it left was left running", daemon)
	}
}
