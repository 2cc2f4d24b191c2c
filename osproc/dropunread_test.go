package osproc

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A held pipe that could not be watched again at its resume (epoll_ctl
// refused: ENOMEM, max_user_watches) was closed with the lines its pipe
// held unread: lost, and counted nowhere. They are read and emitted
// before the close (the destination keeps them, or drops them counted);
// only the writes that come after fail (EPIPE).
func TestResumedPipeNotWatchedAgainLosesNoLine(t *testing.T) {
	p, _ := testPoller(t)
	r, w := rawPipe(t)
	first, want := numbered("a", 1)
	rest, more := numbered("b", 2000) // less than a pipe holds: in it, whole
	want = append(want, more...)
	c := newCollector(len(want))
	held := make(chan struct{}, 1)
	heldHook = func(*outPipe) { held <- struct{}{} }
	t.Cleanup(func() { heldHook = nil })
	resumes := make(chan func(), 1)
	n := 0
	if err := p.add(r, func(l []byte) {
		c.emit(l)
		if n++; n == 1 {
			resume, _ := HoldOutput()
			resumes <- resume
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(first); err != nil {
		t.Fatal(err)
	}
	var resume func()
	select {
	case resume = <-resumes:
	case <-time.After(deadline):
		t.Fatal("no line")
	}
	select { // held: a resume now goes through rewatch
	case <-held:
	case <-time.After(deadline):
		t.Fatal("the pipe was not held")
	}
	if _, err := w.WriteString(rest); err != nil { // in the pipe, held
		t.Fatal(err)
	}
	rewatchFault = func() error { return unix.ENOSPC }
	t.Cleanup(func() { rewatchFault = nil })
	resume()
	eventually(t, "the pipe is closed", func() (bool, string) { return p.registered() == 0, "" })
	select {
	case <-c.done:
	case <-time.After(deadline):
		t.Fatalf("%d lines of %d: those left in the pipe were lost", len(c.get()), len(want))
	}
	if got := c.get(); !slices.Equal(got, want) {
		t.Fatalf("%d lines, want %d in order", len(got), len(want))
	}
	// the close follows the last line's emit: a write may come between
	eventually(t, "a write after the close fails EPIPE", func() (bool, string) {
		_, err := w.WriteString("late\n")
		return errors.Is(err, unix.EPIPE), fmt.Sprintf("a write: %v", err)
	})
}
