package actors

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

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
	logged := &loggedLines{}
	var ad *pipeAdopter
	nw := newRig(t, func(o *Options) {
		ad = &pipeAdopter{adoptingFake: &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}},
			pipes: map[int]func(int, *osproc.Lines){}}
		o.Launcher = ad
		o.Lines = logged
	})
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
