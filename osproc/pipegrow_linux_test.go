//go:build linux && !cfkportable

package osproc

import (
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A pipe whose read fills the read buffer grows to grownPipe; a pipe
// that never does keeps the default size (REFERENCE §6.2).
func TestFloodingPipeGrows(t *testing.T) {
	skipUnlessPipesGrow(t)

	p, _ := testPoller(t)
	fr, fw := rawPipe(t)
	qr, qw := rawPipe(t)
	if pipeSize(fr) >= grownPipe || pipeSize(qr) >= grownPipe {
		t.Fatalf("pipes of %d and %d bytes before any read", pipeSize(fr), pipeSize(qr))
	}
	data, want := numbered("flood", 20000) // 200 KiB: full reads
	// the pipe is full before the poller reads it: its first read is full
	written := make(chan error, 1)
	go func() { _, err := fw.WriteString(data); written <- err }()
	pipeFull(t, fr, "the flood fills its pipe")
	flood, quiet := newCollector(len(want)), newCollector(1)
	if err := p.add(fr, flood.emit); err != nil {
		t.Fatal(err)
	}
	if err := p.add(qr, quiet.emit); err != nil {
		t.Fatal(err)
	}
	if _, err := qw.WriteString("one line\n"); err != nil {
		t.Fatal(err)
	}
	flood.wait(t, "the flood")
	quiet.wait(t, "the quiet pipe")
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	// the write ends are still open: so are the read ends, in the poller
	if got := pipeSize(fr); got != grownPipe {
		t.Errorf("flooding pipe: %d bytes, want %d", got, grownPipe)
	}
	if got := pipeSize(qr); got >= grownPipe {
		t.Errorf("quiet pipe grew to %d bytes", got)
	}
}

// A grown pipe is read grownRead at a time: held after its first run
// until it holds more than that, it gives a run longer than readSize.
func TestGrownPipeReadsMore(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	skipUnlessPipesGrow(t)
	p, _ := testPoller(t)
	fr, fw := rawPipe(t)
	data, want := numbered("flood", 100000) // about 1.1 MB
	resumes := make(chan func(), 1)
	got, longest := 0, 0
	done := make(chan struct{})
	out := outputFor(nil, func(_ int, l *Lines) {
		longest = max(longest, len(l.b))
		if got == 0 { // after the first run: hold
			for _, ok := l.Next(); ok; _, ok = l.Next() {
				got++
			}
			resume, ok := HoldOutput()
			if !ok {
				t.Error("HoldOutput refused")
			}
			resumes <- resume
			return
		}
		for _, ok := l.Next(); ok; _, ok = l.Next() {
			if got++; got == len(want) {
				close(done)
			}
		}
	}, 1)
	go fw.WriteString(data)
	pipeFull(t, fr, "the pipe fills before it is read") // its first read is full
	if err := p.addWith(fr, out, pipeMeta{}, nil); err != nil {
		t.Fatal(err)
	}
	var resume func()
	select {
	case resume = <-resumes:
	case <-time.After(deadline):
		t.Fatal("no first run")
	}
	eventually(t, "the grown pipe holds more than a read", func() (bool, string) {
		n, err := unix.IoctlGetInt(fr, unix.TIOCINQ)
		return err == nil && n > grownRead, fmt.Sprintf("%d bytes in the pipe (%v)", n, err)
	})
	resume()
	select {
	case <-done:
	case <-time.After(deadline):
		t.Fatal("not every line came")
	}
	if longest <= readSize {
		t.Errorf("longest run %d bytes: the grown pipe is still read %d at a time", longest, readSize)
	}
}

// At most maxGrown pipes are grown at a time: another flooding pipe keeps
// its size until a grown one is closed, then grows at its next full read.
func TestGrownPipesBounded(t *testing.T) {
	skipUnlessPipesGrow(t)
	p, _ := testPoller(t)
	p.maxGrown = 1 // before any pipe: the poller reads it under its lock since
	flood := func(r int, w *os.File, prefix string) *collector {
		data, want := numbered(prefix, 20000)
		go w.WriteString(data)
		pipeFull(t, r, prefix+" fills its pipe")
		c := newCollector(len(want))
		if err := p.add(r, c.emit); err != nil {
			t.Fatal(err)
		}
		return c
	}
	ar, aw := rawPipe(t)
	flood(ar, aw, "a").wait(t, "a")
	if got := pipeSize(ar); got != grownPipe {
		t.Fatalf("a: %d bytes, want %d", got, grownPipe)
	}
	br, bw := rawPipe(t)
	flood(br, bw, "b").wait(t, "b")
	if got := pipeSize(br); got >= grownPipe {
		t.Fatalf("b grew to %d bytes past the bound of grown pipes", got)
	}
	aw.Close() // a's EOF: the poller closes it, and its place is free
	eventually(t, "a closed", func() (bool, string) { return p.registered() == 1, fmt.Sprintf("%d pipes", p.registered()) })
	more, _ := numbered("b again", 20000)
	go bw.WriteString(more)
	eventually(t, "b grows", func() (bool, string) {
		n := pipeSize(br)
		return n == grownPipe, fmt.Sprintf("%d bytes", n)
	})
}

// skipUnlessPipesGrow skips the test where this process cannot grow a
// pipe to grownPipe (pipe-max-size, the user's pipe pages).
func skipUnlessPipesGrow(t *testing.T) {
	t.Helper()
	var probe [2]int
	if err := unix.Pipe2(probe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	err := growPipe(probe[0], grownPipe)
	unix.Close(probe[0])
	unix.Close(probe[1])
	if err != nil {
		t.Skipf("the kernel refuses a pipe of %d bytes here: %v", grownPipe, err)
	}
}

// pipeSize is the capacity of the pipe fd, 0 if unknown.
func pipeSize(fd int) int {
	n, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return 0
	}
	return n
}
