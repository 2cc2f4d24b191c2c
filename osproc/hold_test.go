package osproc

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// numbered is lines "PREFIX 0" .. "PREFIX n-1", each ended by "\n".
func numbered(prefix string, n int) (data string, lines []string) {
	var b strings.Builder
	for i := range n {
		l := fmt.Sprintf("%s %d", prefix, i)
		lines = append(lines, l)
		b.WriteString(l + "\n")
	}
	return b.String(), lines
}

// A callback that holds its pipe stops the reading of that pipe only: the
// writer blocks once the pipe is full, another pipe's lines keep coming,
// and after the resume every line of the held pipe arrives once, in order.
func TestHoldOutputStallsOnlyThatPipe(t *testing.T) {
	p, _ := testPoller(t)
	data, want := numbered("flood", 100000) // about 1 MB: many pipes' worth
	const holdAt = 10
	held := newCollector(len(want))
	resumes := make(chan func(), 1)
	fr, fw := rawPipe(t)
	n := 0 // lines so far (the poller goroutine's)
	if err := p.add(fr, func(l []byte) {
		held.emit(l)
		if n++; n == holdAt {
			resume, ok := HoldOutput()
			if !ok {
				t.Error("HoldOutput refused in a callback")
			}
			resumes <- resume
		}
	}); err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 1)
	go func() { _, err := fw.WriteString(data); written <- err }()
	var resume func()
	select {
	case resume = <-resumes:
	case <-time.After(deadline):
		t.Fatal("the callback was not called")
	}
	pipeFull(t, fr, "the held pipe fills up")
	select {
	case err := <-written:
		t.Fatalf("the writer of a held pipe finished: %v", err)
	default:
	}
	if n := len(held.get()); n != holdAt {
		t.Fatalf("%d lines emitted from a pipe held at line %d", n, holdAt)
	}

	// another pipe flows meanwhile
	other, otherWant := numbered("other", 1000)
	or, ow := rawPipe(t)
	oc := newCollector(len(otherWant))
	if err := p.add(or, oc.emit); err != nil {
		t.Fatal(err)
	}
	if _, err := ow.WriteString(other); err != nil {
		t.Fatal(err)
	}
	oc.wait(t, "the other pipe")
	if n := len(held.get()); n != holdAt {
		t.Fatalf("%d lines emitted from the held pipe while the other one flowed", n)
	}

	resume()
	resume() // a second call does nothing
	held.wait(t, "the held pipe after its resume")
	select {
	case err := <-written:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(deadline):
		t.Fatal("the writer is still blocked after the resume")
	}
	if got := held.get(); !slices.Equal(got, want) {
		t.Fatalf("%d lines, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	if got := oc.get(); !slices.Equal(got, otherWant) {
		t.Fatalf("other pipe: %d lines, want %d", len(got), len(otherWant))
	}
}

// Holds over and over (a destination that drains, fills, drains...):
// every line arrives once and in order, and the resume may come from
// another goroutine before the poller even took the pipe out of epoll.
func TestHoldOutputManyTimes(t *testing.T) {
	p, _ := testPoller(t)
	data, want := numbered("line", 50000)
	c := newCollector(len(want))
	var resumes sync.WaitGroup
	r, w := rawPipe(t)
	n := 0
	if err := p.add(r, func(l []byte) {
		c.emit(l)
		n++
		switch n % 97 {
		case 0: // resumed from elsewhere, maybe before the hold is in place
			resume, ok := HoldOutput()
			if !ok {
				t.Error("HoldOutput refused in a callback")
				return
			}
			resumes.Go(resume)
		case 50: // resumed at once, within the callback: no hold at all
			resume, ok := HoldOutput()
			if !ok {
				t.Error("HoldOutput refused in a callback")
				return
			}
			resume()
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer w.Close()
		for _, b := range chunk(data, len(data)/3, len(data)/2) {
			w.Write(b)
		}
	}()
	c.wait(t, "every line")
	resumes.Wait()
	if got := c.get(); !slices.Equal(got, want) {
		t.Fatalf("%d lines, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	eventually(t, "the pipe is closed at EOF", func() (bool, string) {
		return p.registered() == 0, ""
	})
}

// HoldOutput holds nothing outside a callback fed by a poller: from
// another goroutine, or for the last line emitted at EOF.
func TestHoldOutputElsewhere(t *testing.T) {
	if _, ok := HoldOutput(); ok {
		t.Error("HoldOutput from a test goroutine: ok")
	}
	p, _ := testPoller(t)
	r, w := rawPipe(t)
	got := make(chan bool, 2)
	if err := p.add(r, func(l []byte) {
		resume, ok := HoldOutput()
		if ok {
			resume()
		}
		got <- ok
	}); err != nil {
		t.Fatal(err)
	}
	w.WriteString("line\npartial")
	w.Close()
	for _, want := range []bool{true, false} { // "line", then "partial" at EOF
		select {
		case ok := <-got:
			if ok != want {
				t.Errorf("HoldOutput: ok %v, want %v", ok, want)
			}
		case <-time.After(deadline):
			t.Fatal("no line")
		}
	}
}

// A pipe held with lines read but not emitted: stop emits them (and the
// partial line) and closes the pipe.
func TestHeldPipeAtStop(t *testing.T) {
	p, stop := testPoller(t)
	r, w := rawPipe(t)
	c := newCollector(1)
	var first atomic.Bool
	if err := p.add(r, func(l []byte) {
		c.emit(l)
		if first.CompareAndSwap(false, true) {
			HoldOutput() // never resumed
		}
	}); err != nil {
		t.Fatal(err)
	}
	w.WriteString("1\n2\n3\npartial")
	c.wait(t, "the first line")
	c.mu.Lock()
	c.want, c.done = 4, make(chan struct{})
	c.mu.Unlock()
	stop()
	c.wait(t, "the lines read before the hold, at stop")
	if got, want := c.get(), []string{"1", "2", "3", "partial"}; !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
	if _, err := unix.Write(int(w.Fd()), []byte("x\n")); err != unix.EPIPE {
		t.Errorf("a write after stop: %v, want EPIPE", err)
	}
}

// The lines of one read share the time of that read; outside a callback,
// LineTime is now.
func TestLineTime(t *testing.T) {
	p, _ := testPoller(t)
	r, w := rawPipe(t)
	var mu sync.Mutex
	var times []time.Time
	c := newCollector(3)
	if err := p.add(r, func(l []byte) {
		mu.Lock()
		times = append(times, LineTime())
		mu.Unlock()
		c.emit(l)
	}); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	w.WriteString("a\nb\nc\n") // one write: one read
	c.wait(t, "3 lines")
	after := time.Now()
	mu.Lock()
	defer mu.Unlock()
	if !times[0].Equal(times[1]) || !times[0].Equal(times[2]) {
		t.Errorf("times of one read differ: %v", times)
	}
	if times[0].Before(before.Truncate(time.Microsecond)) || times[0].After(after) {
		t.Errorf("time %v not within [%v, %v]", times[0], before, after)
	}
	// once the poller is done with the pipe, it emits nothing any more
	w.Close()
	eventually(t, "the pipe is closed", func() (bool, string) { return p.registered() == 0, "" })
	if now := LineTime(); now.Before(after) {
		t.Errorf("LineTime outside a callback: %v, before %v", now, after)
	}
}

// A held pipe whose child is gone is closed once it is resumed: the
// pending lines, then the EOF.
func TestHeldPipeEOFAfterResume(t *testing.T) {
	p, _ := testPoller(t)
	r, w := rawPipe(t)
	data, want := numbered("l", 5000)
	c := newCollector(len(want))
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
	go func() { w.WriteString(data); w.Close() }()
	var resume func()
	select {
	case resume = <-resumes:
	case <-time.After(deadline):
		t.Fatal("no line")
	}
	resume()
	c.wait(t, "every line")
	eventually(t, "the pipe is closed", func() (bool, string) { return p.registered() == 0, "" })
	if got := c.get(); !slices.Equal(got, want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
}
