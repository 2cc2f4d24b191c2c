package actors

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
)

// pipeAdopter is adoptingFake that keeps the pipes handed to
// AdoptOutputLines with their callbacks.
type pipeAdopter struct {
	*adoptingFake
	mu    sync.Mutex
	pipes map[int]func(int, *osproc.Lines) // by fd
}

func (a *pipeAdopter) AdoptOutputLines(p osproc.FrozenPipe, lines func(int, *osproc.Lines)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pipes[p.Fd] = lines
	return nil
}

func (a *pipeAdopter) adopted(fd int) func(int, *osproc.Lines) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pipes[fd]
}

// loggedLines is a LineLogger that keeps every line as
// "SERVICE STREAM PID LINE".
type loggedLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *loggedLines) ServiceLine(service, stream string, pid int, line []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %s %d %s", service, stream, pid, line))
}

func (l *loggedLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// REFERENCE §6.4, §7.5, §13.2: the output pipe of a destroyed service
// that a process it left still holds (an orphan that escaped its
// ending, its environment cleared) crosses an upgrade in place, and the
// new cfkd reads on: its lines are logged under the service's name, as
// the former cfkd logged them, and kept in no tail, also once a service
// of that name is declared again. The new cfkd closed the pipe: the
// orphan died of SIGPIPE at its next write, and what the pipe held was
// lost, unlogged.
func TestUpgradeReadsADestroyedServicesOrphanPipe(t *testing.T) {
	t.Parallel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	rfd, err := syscall.Dup(int(pr.Fd()))
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	closed := true
	defer func() {
		if !closed {
			syscall.Close(rfd)
		}
	}()
	nw, ad, logged := pipeAdopterRig(t)
	st := &upgrade.State{Pipes: []osproc.FrozenPipe{{Pid: 4711, Stream: "stdout", Tag: ServiceTag("d"), Fd: rfd}}}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	lines := ad.adopted(rfd)
	if lines == nil {
		t.Fatal("the pipe of destroyed service d was not adopted (closed: its orphan dies at its next write)")
	}
	closed = false // the fake adopter reads nothing: the test closes it
	lines(4711, osproc.LinesOf([]byte("still here")))
	nw.ok("service d cmd=sleep 1")
	lines(4711, osproc.LinesOf([]byte("and here")))
	want := []string{"d out 4711 still here", "d out 4711 and here"}
	if got := logged.all(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("logged %q, want %q", got, want)
	}
	if got := nw.ok("command tail d"); len(got) != 0 {
		t.Errorf("tail of the new d: %q, want nothing (a former declaration's lines are not kept)", got)
	}
}

// REFERENCE §6.4, §13.2: the pipe of a run of a former declaration of a
// service (destroyed, then declared anew, before the upgrade in place)
// that an orphan still holds is adopted by the new cfkd as that former
// declaration's: its lines are logged, not kept in the tail of the
// service declared now; the pipe of a run of the current declaration is
// kept there as before. The state did not say which declaration a pipe
// was of: the new cfkd gave every pipe of the name to the service of
// that name, and its tail took the lines of the destroyed one's orphan.
func TestUpgradeKeepsAFormerDeclarationsOrphanOutOfTheTail(t *testing.T) {
	t.Parallel()
	fds := map[uint64]int{}
	for _, owner := range []uint64{5, 6} {
		var p [2]int
		if err := syscall.Pipe(p[:]); err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(p[0])
		defer syscall.Close(p[1])
		fds[owner] = p[0]
	}
	nw, ad, logged := pipeAdopterRig(t)
	cfg := messages.NewServiceConfig("d")
	cfg.Cmd = "sleep 1"
	st := &upgrade.State{
		Services: []upgrade.Service{{Config: cfg, Decl: 6, Lifecycle: lifecycle.Lifecycle{State: messages.Stopped}}},
		Pipes: []osproc.FrozenPipe{
			{Pid: 4711, Stream: "stdout", Tag: ServiceTag("d"), Owner: 5, Fd: fds[5]}, // the destroyed d's orphan
			{Pid: 4712, Stream: "stdout", Tag: ServiceTag("d"), Owner: 6, Fd: fds[6]}, // the d of now's
		},
	}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	former, current := ad.adopted(fds[5]), ad.adopted(fds[6])
	if former == nil || current == nil {
		t.Fatalf("pipes adopted: former %v, current %v", former != nil, current != nil)
	}
	former(4711, osproc.LinesOf([]byte("orphan of the former d")))
	current(4712, osproc.LinesOf([]byte("the d of now")))
	if got := logged.all(); len(got) != 2 {
		t.Errorf("logged %q, want both lines", got)
	}
	if got := nw.ok("command tail d"); len(got) != 1 || got[0] != "the d of now" {
		t.Errorf("tail of d %q, want only the line of its own run", got)
	}
}

// The pipes of a service's run name its declaration (osproc.Spec.Owner),
// which its export carries (Decl), and a declaration made anew after a
// destroy is another: what TestUpgradeKeepsAFormerDeclarationsOrphanOutOfTheTail
// adopts.
func TestExportNamesTheDeclarationOfThePipes(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.startRunning("a")
	first := r.fake.waitLaunch(t, 1).Spec.Owner
	ex := r.export(false)
	if first == 0 || len(ex.Services) != 1 || ex.Services[0].Decl != first {
		t.Fatalf("the run's pipes name declaration %d, the export %+v", first, ex.Services)
	}
	r.okDone("command destroy service a", 1)
	r.expectSeq("a", messages.Stopping, messages.Stopped)
	r.startRunning("a")
	second := r.fake.waitLaunch(t, 2).Spec.Owner
	ex = r.export(false)
	if second == first || len(ex.Services) != 1 || ex.Services[0].Decl != second {
		t.Fatalf("after a destroy, the run's pipes name declaration %d (the former's %d), the export %d", second, first, ex.Services[0].Decl)
	}
}

// pipeAdopterRig is a tree whose launcher adopts pipes (the new cfkd of an
// upgrade in place) and whose service lines are logged to logged.
func pipeAdopterRig(t *testing.T) (nw *rig, ad *pipeAdopter, logged *loggedLines) {
	logged = &loggedLines{}
	nw = newRig(t, func(o *Options) {
		ad = &pipeAdopter{adoptingFake: &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}},
			pipes: map[int]func(int, *osproc.Lines){}}
		o.Launcher = ad
		o.Lines = logged
	})
	return nw, ad, logged
}
