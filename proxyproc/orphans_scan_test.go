package proxyproc

import (
	"fmt"
	"github.com/cfk/cfk/internal/testkit"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// scanCounter is a Launcher that counts the orphan scans and records what
// each stopped child's orphans were taken from; it launches nothing.
type scanCounter struct {
	scans   int
	orphans []osproc.Orphan
	targets [][]osproc.Orphan
}

func (s *scanCounter) Launch(osproc.Spec, func(int, syscall.WaitStatus)) (*osproc.Process, error) {
	return nil, fmt.Errorf("not here")
}
func (s *scanCounter) Signal(*osproc.Process, syscall.Signal) error { return nil }
func (s *scanCounter) AdoptedOrphans() []osproc.Orphan {
	s.scans++
	return s.orphans
}
func (s *scanCounter) TargetOrphans(o []osproc.Orphan) []*osproc.Target {
	s.targets = append(s.targets, o)
	return nil
}

// A `stop @px` of 9,000 services under cfk-proxy failed most of them
// `Received signal 9`: each exit of a stopped child scanned the proxy's
// orphans, reading the list of its children (all 9,000), and the loop
// spent that O(N²) between the stop lines, which cfkd counts stopwait
// from. The exits the reaper queued are now handled with one scan, whose
// orphans still go to the child that left them, before its `stopped`.
func TestExitsOfStoppedChildrenScanOrphansOnce(t *testing.T) {
	const n = 50
	l := &scanCounter{orphans: []osproc.Orphan{
		{ProcInfo: osproc.ProcInfo{Pid: 9001, Comm: "d"}, Service: "s7"},
		{ProcInfo: osproc.ProcInfo{Pid: 9002, Comm: "d"}, Service: "s30"},
	}}
	var status testkit.Buffer
	p := New(Config{Launcher: l, Status: &status, Log: io.Discard})
	defer p.Close(0)
	for i := range n {
		pid := 1000 + i
		name := fmt.Sprintf("s%d", i)
		p.children[pid] = &child{name: name, group: true, stopped: true}
		p.byName[name] = pid
		p.onExit(pid, syscall.WaitStatus(15))
	}
	p.drainExits()
	if l.scans != 1 {
		t.Errorf("%d orphan scans for one batch of %d exits, want 1", l.scans, n)
	}
	if len(l.targets) != 2 || l.targets[0][0].Service != "s7" || l.targets[1][0].Service != "s30" {
		t.Errorf("orphans taken: %+v, want s7's then s30's", l.targets)
	}
	if got := strings.Count(status.String(), `"status":"stopped"`); got != n {
		t.Errorf("%d stopped lines, want %d", got, n)
	}
}
