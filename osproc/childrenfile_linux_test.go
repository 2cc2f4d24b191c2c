package osproc

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// seqChildren is a children file as the kernel serves it (a seq_file):
// each read(2) walks the list from the position where the one before
// stopped, as many records as the buffer holds; before each read(2) but
// an open's first, between may change the list (reap a child).
type seqChildren struct {
	list    []int
	between func(s *seqChildren, open, read int) // open and read count from 1
	// during may change the list within a read(2), after the record at
	// index: the next record is then the one at index+1, by position
	during func(s *seqChildren, open, index int)
	opens  int
}

func (s *seqChildren) open(string) (func([]byte) (int, error), func(), error) {
	s.opens++
	open, reads, index := s.opens, 0, 0
	return func(b []byte) (int, error) {
		reads++
		if reads > 1 && s.between != nil {
			s.between(s, open, reads)
		}
		n := 0
		for ; index < len(s.list); index++ {
			rec := strconv.Itoa(s.list[index]) + " "
			if n+len(rec) > len(b) {
				break
			}
			n += copy(b[n:], rec)
			if s.during != nil {
				s.during(s, open, index)
			}
		}
		return n, nil
	}, func() {}, nil
}

func (s *seqChildren) reap(pid int) {
	s.list = slices.DeleteFunc(s.list, func(p int) bool { return p == pid })
}

// fakeChildren puts s in the place of the children files, read size bytes
// a read(2), for the test.
func fakeChildren(t *testing.T, s *seqChildren, size int) {
	open, readSize := openChildren, childrenReadSize
	openChildren, childrenReadSize = s.open, func() int { return size }
	t.Cleanup(func() { openChildren, childrenReadSize = open, readSize })
}

// A child reaped between two reads of a children file moves the later
// ones a place down, and the next read(2), which starts at the number of
// children listed so far, skipped the child at the gap: an orphan alive
// throughout was left out of the scan. The list is read again until a
// read lists all the one before it did.
func TestChildrenReadInPiecesSkipsNoChild(t *testing.T) {
	s := &seqChildren{list: []int{101, 102, 103, 104, 105, 106, 107, 108, 109}}
	s.between = func(s *seqChildren, open, read int) {
		if open == 1 && read == 2 {
			s.reap(102) // listed by the first read(2); 105 is then at position 3, where the second starts
		}
	}
	fakeChildren(t, s, 16) // "1NN " four times
	pids, err := readChildren("children")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{101, 103, 104, 105, 106, 107, 108, 109} {
		if !slices.Contains(pids, want) {
			t.Errorf("child %d, alive throughout, is not listed: %v", want, pids)
		}
	}
	if s.opens != 3 {
		t.Errorf("the file was read %d times, want 3 (the second read lacks 102, the third lists all the second did)", s.opens)
	}
	if len(pids) != len(slices.Compact(slices.Sorted(slices.Values(pids)))) {
		t.Errorf("a pid listed twice: %v", pids)
	}
}

// A list that one read(2) gives whole is read twice when nothing changes
// (the second lists all the first did).
func TestChildrenInOneReadReadTwice(t *testing.T) {
	s := &seqChildren{list: []int{101, 102, 103}}
	fakeChildren(t, s, 32) // room left for another pid
	pids, err := readChildren("children")
	if err != nil || !slices.Equal(pids, []int{101, 102, 103}) || s.opens != 2 {
		t.Errorf("readChildren = %v, %v after %d reads of the file, want [101 102 103] after 2", pids, err, s.opens)
	}
}

// One walk of a list that one read(2) gives whole skips a child when the
// one listed just before it is reaped meanwhile (the next is found by
// position): a daemon adopted as the stop's clean-up ended its parent,
// listed right after that parent's zombie, which the reaper reaped
// during the read, was left out, the clean-up's rounds ended, and the
// deeper daemons of a chain ran on (TestStopEndsADeepChainOfDaemons,
// once in a CI run). The list is read again until a read lists all the
// one before it did.
func TestChildrenInOneReadSkipsNoChild(t *testing.T) {
	s := &seqChildren{list: []int{101, 102, 103, 104}}
	s.during = func(s *seqChildren, open, index int) {
		if open == 1 && index == 1 {
			s.reap(102) // listed; 103 is then at index 1, and the walk goes on at 2
		}
	}
	fakeChildren(t, s, 64)
	pids, err := readChildren("children")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{101, 103, 104} {
		if !slices.Contains(pids, want) {
			t.Errorf("child %d, alive throughout, is not listed: %v", want, pids)
		}
	}
}

// A read(2) that fills its buffer may leave pids to the next, which
// starts by position: a child reaped in between made it start past the
// last one, find the list's end, and the list looked whole in one read.
// Such a list is read again.
func TestChildrenFillingAReadReadAgain(t *testing.T) {
	s := &seqChildren{list: []int{101, 102, 103, 104, 105}}
	s.between = func(s *seqChildren, open, read int) {
		if open == 1 && read == 2 {
			s.reap(101) // 105, the one left to the second read(2), moves to position 3; it starts at 4
		}
	}
	fakeChildren(t, s, 16) // the first read(2) gives 101 to 104, filling it
	pids, err := readChildren("children")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pids, 105) {
		t.Errorf("child 105, alive throughout, is not listed: %v", pids)
	}
}

// Children reaped at every read(2) bound the reads again: childrenReads in
// all, their pids listed once each.
func TestChildrenReadAgainAtMost(t *testing.T) {
	s := &seqChildren{}
	for pid := 101; pid < 160; pid++ {
		s.list = append(s.list, pid)
	}
	s.between = func(s *seqChildren, open, read int) { s.reap(s.list[0]) }
	fakeChildren(t, s, 16)
	pids, err := readChildren("children")
	if err != nil {
		t.Fatal(err)
	}
	if s.opens != childrenReads {
		t.Errorf("the file was read %d times, want %d", s.opens, childrenReads)
	}
	if len(pids) != len(slices.Compact(slices.Sorted(slices.Values(pids)))) {
		t.Errorf("a pid listed twice: %v", pids)
	}
}

// The real file, read a few bytes a read(2) (as a list of thousands of
// children is read a page a time), while half the children of a shell
// are killed one by one, each reaped by the shell at once: every read
// lists every child that stays.
func TestChildrenReadWhileReapedLinux(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	t.Cleanup(func() { w.Close() }) // the children's read ends: they exit
	const n = 60
	c := capture(t, Spec{
		Argv:       []string{"/bin/sh", "-c", "i=0; while [ $i -lt " + strconv.Itoa(n) + " ]; do read x <&3 & i=$((i+1)); done; echo ready; wait"},
		Setsid:     true, // the cleanup's SIGKILL ends the group: the shell and its children
		ExtraFiles: []*os.File{r},
	})
	select {
	case <-c.out:
	case <-time.After(deadline):
		t.Fatal("the shell did not start its children")
	}
	list, _ := taskChildren(strconv.Itoa(c.Pid))
	if len(list) != n {
		t.Fatalf("the shell has %d children, want %d: %v", len(list), n, list)
	}
	var stay []int // every other child, in the list's order: the others are killed
	for i, pid := range list {
		if i%2 == 1 {
			stay = append(stay, pid)
		}
	}
	stop, killed := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-killed }() // before the cleanup ends the group: no pid reaped is killed
	go func() {
		defer close(killed)
		for i, pid := range list {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				syscall.Kill(pid, syscall.SIGKILL)
				time.Sleep(500 * time.Microsecond)
			}
		}
	}()
	size := childrenReadSize
	childrenReadSize = func() int { return 8 } // a pid or so a read(2)
	defer func() { childrenReadSize = size }()
	reads := 0
	for end := time.Now().Add(deadline); ; reads++ { // until the shell reaped all it lost
		got, _ := taskChildren(strconv.Itoa(c.Pid))
		var missed []string
		for _, pid := range stay {
			if !slices.Contains(got, pid) {
				missed = append(missed, strconv.Itoa(pid))
			}
		}
		if len(missed) > 0 {
			t.Fatalf("read %d: children %s, alive throughout, not listed", reads, strings.Join(missed, " "))
		}
		if len(got) == len(stay) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the shell has children %v after %v, want %v", got, deadline, stay)
		}
	}
	t.Logf("%d reads", reads)
}

// A child its thread's end handed to another thread is in the files of
// both when the first is read before and the second after: Children
// listed it twice, and AdoptedOrphans took it for two orphans. Each pid
// is listed once.
func TestChildrenOfThreadsListedOnce(t *testing.T) {
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil || len(tids) < 2 {
		t.Skipf("threads of the test process: %d, %v", len(tids), err)
	}
	fakeChildren(t, &seqChildren{list: []int{101, 102}}, 4096) // every thread's file lists them
	if pids, ok := Children(); !ok || !slices.Equal(pids, []int{101, 102}) {
		t.Errorf("Children() = %v, %v; want [101 102], true", pids, ok)
	}
}
