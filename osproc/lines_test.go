package osproc

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// splitRuns feeds chunks to a splitter in the batch form (a callback of
// Lines, as outputFor makes it) and returns the lines it gets, and how
// many calls brought them.
func splitRuns(chunks [][]byte, max int) (lines []string, calls int) {
	out := outputFor(nil, func(_ int, l *Lines) {
		calls++
		for line, ok := l.Next(); ok; line, ok = l.Next() {
			lines = append(lines, string(line))
		}
	}, 1)
	s := lineSplitter{max: max, emit: out.emit, emitRun: out.run}
	for _, c := range chunks {
		if rest := s.feed(c); len(rest) > 0 {
			panic("rest without a hold")
		}
	}
	s.flush()
	if lines == nil {
		lines = []string{}
	}
	return lines, calls
}

// The batch form gives the lines the line form gives (the model of Pump),
// whatever the data and its cuts.
func TestLinesAsLineForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		data, cuts, max := randomCase(rng)
		want := refLines(data, max)
		if got, _ := splitRuns(chunk(data, cuts...), max); !slices.Equal(got, want) {
			t.Fatalf("data %q in chunks %q, max %d:\n got %q\nwant %q", data, chunk(data, cuts...), max, got, want)
		}
	}
}

// Lines kept with Copy and Append give the lines the line form gives,
// whatever the data and its cuts: a consumer that keeps the calls' lines
// uncut (the Tail in a flood) and takes them later takes the same lines.
func TestLinesAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	appended := 0
	for range 2000 {
		data, cuts, max := randomCase(rng)
		var got []string
		var kept Lines
		on := false
		take := func() {
			for line, ok := kept.Next(); ok && on; line, ok = kept.Next() {
				got = append(got, string(line))
			}
		}
		out := outputFor(nil, func(_ int, l *Lines) {
			if on && kept.Append(*l) {
				appended++
			} else {
				take()
				kept, on = l.Copy(nil), true
			}
			for _, ok := l.Next(); ok; _, ok = l.Next() {
			}
		}, 1)
		s := lineSplitter{max: max, emit: out.emit, emitRun: out.run}
		for _, c := range chunk(data, cuts...) {
			s.feed(c)
		}
		s.flush()
		take()
		if want := refLines(data, max); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("data %q in chunks %q, max %d:\n got %q\nwant %q", data, chunk(data, cuts...), max, got, want)
		}
	}
	// lines Taken from a run held in the middle of a long line end with a
	// piece of it: nothing may be joined to that piece
	piece := Lines{b: []byte("x\nabc"), max: 3}
	if piece.Append(*LinesOf([]byte("d"))) || piece.Append(Lines{b: []byte("d\n"), max: 3}) {
		t.Errorf("appended after a piece: %q", piece.b)
	}
	if run := (Lines{b: []byte("x\n"), max: 3}); run.Append(Lines{b: []byte("d\n"), max: 4}) {
		t.Errorf("appended a run cut otherwise: %q", run.b)
	}
	if appended < 1000 {
		t.Errorf("%d appends in 2000 cases: the test hardly tries them", appended)
	}
}

// AppendRecords, with Next for the lines it leaves, makes the records a
// record a line made from Next's lines makes, whatever the data, the cut
// of long lines, and the limit it stops at.
func TestLinesAppendRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	head := []byte("H ")
	record := func(b, line []byte) []byte { return append(append(append(b, head...), line...), '\n') }
	fast := 0
	for range 3000 {
		data, _, max := randomCase(rng)
		if i := bytes.LastIndexByte([]byte(data), '\n'); i >= 0 {
			data = data[:i+1] // a run: whole lines
		} else {
			data = ""
		}
		var want []byte
		for l := (Lines{b: []byte(data), max: max}); ; {
			line, ok := l.Next()
			if !ok {
				break
			}
			want = record(want, line)
		}
		var got []byte
		limit := rng.IntN(200)
		for l := (Lines{b: []byte(data), max: max}); ; {
			n := len(got)
			if got = l.AppendRecords(got, head, limit); len(got) > n {
				fast++
			}
			line, ok := l.Next()
			if !ok {
				break
			}
			got = record(got, line)
			limit += rng.IntN(100)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("data %q, max %d:\n got %q\nwant %q", data, max, got, want)
		}
	}
	if fast < 1000 {
		t.Errorf("%d fast runs in 3000 cases: the test hardly tries them", fast)
	}
}

// KeepCostAtLeast never claims more than keeping the lines costs (2
// bytes and the text of each line or piece Next gives), and decides a
// flood's read of short lines: 64 KiB of 100-byte lines cost more than
// 64 KiB.
func TestLinesKeepCostAtLeast(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 3000 {
		data, _, max := randomCase(rng)
		l := Lines{b: []byte(data), max: max}
		if i := bytes.LastIndexByte(l.b, '\n'); i >= 0 && rng.IntN(2) == 0 {
			l.b = l.b[:i+1] // whole lines, or ending with a piece
		}
		cost := 0
		for m := l; ; {
			line, ok := m.Next()
			if !ok {
				break
			}
			cost += 2 + len(line)
		}
		for bound := 0; bound <= cost+3; bound++ {
			if l.KeepCostAtLeast(bound) && cost < bound {
				t.Fatalf("data %q, max %d: at least %d, but it costs %d", l.b, max, bound, cost)
			}
		}
	}
	run, _ := numbered(strings.Repeat("x", 90), 700)
	flood := Lines{b: []byte(run[:strings.LastIndexByte(run[:64<<10], '\n')+1])}
	if !flood.KeepCostAtLeast(64<<10 - 1) {
		t.Errorf("%d bytes of 100-byte lines: not at least 64 KiB", len(flood.b))
	}
}

// A read of many whole lines is one call, not one a line.
func TestLinesOneCallARead(t *testing.T) {
	data, want := numbered("line", 500)
	got, calls := splitRuns(chunk(data), MaxLine)
	if !slices.Equal(got, want) {
		t.Fatalf("lines differ: %d of %d", len(got), len(want))
	}
	if calls != 1 {
		t.Errorf("%d calls for one chunk of whole lines, want 1", calls)
	}
	// a line cut by the read: the first read's lines, the line joined,
	// the rest of the second read
	if got, calls = splitRuns(chunk(data, len(data)/2+3), MaxLine); !slices.Equal(got, want) || calls != 3 {
		t.Errorf("two reads: %d lines in %d calls, want %d in 3", len(got), calls, len(want))
	}
}

// A callback in the batch form that holds its pipe in the middle of a run
// leaves the lines it did not take: they are the first ones given after
// the resume, and every line arrives once, in order.
func TestLinesHoldInARun(t *testing.T) {
	p, _ := testPoller(t)
	data, want := numbered("flood", 50000)
	var got []string
	resumes := make(chan func(), 1)
	done := make(chan struct{})
	runs := 0
	fr, fw := rawPipe(t)
	out := outputFor(nil, func(_ int, l *Lines) {
		runs++
		for k := 0; ; k++ {
			if k == 7 && runs%3 == 0 { // hold after the 7th line of every 3rd run
				resume, ok := HoldOutput()
				if !ok {
					t.Error("HoldOutput refused in a callback")
				}
				resumes <- resume
				return
			}
			line, ok := l.Next()
			if !ok {
				break
			}
			got = append(got, string(line))
			if len(got) == len(want) {
				close(done)
			}
		}
	}, 1)
	if err := p.addWith(fr, out, pipeMeta{}, nil); err != nil {
		t.Fatal(err)
	}
	go func() {
		fw.WriteString(data)
		fw.Close()
	}()
	for {
		select {
		case resume := <-resumes:
			resume()
			continue
		case <-done:
		case <-time.After(deadline):
			t.Fatal("not every line came")
		}
		break
	}
	if !slices.Equal(got, want) {
		t.Fatalf("lines differ (%d of %d)", len(got), len(want))
	}
	if runs >= len(want)/10 {
		t.Errorf("%d calls for %d lines: not in runs", runs, len(want))
	}
}

// The lines Taken from a run whose consumer stopped in the middle of a
// long line (it held the pipe after one piece) end with that piece, with
// no "\n": Next gives it as it was given, and no more.
func TestLinesTakenMidLine(t *testing.T) {
	long := bytes.Repeat([]byte("a"), 2*MaxLine+100)
	run := append(append([]byte("first\n"), long...), '\n')
	l := RunOf(run)
	all := *l
	for _, want := range [][]byte{[]byte("first"), long[:MaxLine]} {
		if got, ok := l.Next(); !ok || !bytes.Equal(got, want) {
			t.Fatalf("Next: %d bytes (%v), want %d", len(got), ok, len(want))
		}
	}
	taken := all.Taken(*l)
	var got [][]byte
	for line, ok := taken.Next(); ok; line, ok = taken.Next() {
		got = append(got, append([]byte(nil), line...))
	}
	if len(got) != 2 || string(got[0]) != "first" || !bytes.Equal(got[1], long[:MaxLine]) {
		t.Fatalf("the lines taken: %d of them", len(got))
	}
	// the rest is the remaining pieces of the long line
	var rest []byte
	for line, ok := l.Next(); ok; line, ok = l.Next() {
		rest = append(rest, line...)
	}
	if !bytes.Equal(rest, long[MaxLine:]) {
		t.Fatalf("the rest: %d bytes, want %d", len(rest), len(long)-MaxLine)
	}
}
