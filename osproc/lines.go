package osproc

import "bytes"

// Lines is what one call of an output callback in the batch form
// (Spec.StdoutLines, Spec.StderrLines) gets: one or more lines of one
// pipe, cut as for Spec.Stdout (without "\n" or "\r\n", at most MaxLine
// bytes, a longer one in pieces), in order. The poller hands over at once
// the whole lines one read(2) got, so that a consumer takes a lock, reads
// the clock or routes once per run, not once per line (REFERENCE §6.2);
// a line that continues an earlier read, or a last line without "\n",
// comes alone. Lines and what Next returns are only valid during the
// call.
//
// A callback takes every line (Next until false), unless it holds the
// pipe (HoldOutput): then the lines it did not take are kept with the
// rest of the read and given again once it resumes. One that neither
// takes them all nor holds loses the rest.
type Lines struct {
	b   []byte // whole lines, each ending with "\n"; or one line, when one
	one bool
	max int // a longer line is given in pieces of max bytes
}

// Next returns the next line, and false once there is none left.
func (l *Lines) Next() (line []byte, ok bool) {
	if l.one {
		line, l.b, l.one = l.b, nil, false
		return line, true
	}
	if len(l.b) == 0 {
		return nil, false
	}
	max := l.max
	i := bytes.IndexByte(l.b, '\n') // a run's lines all end with one...
	if i < 0 {
		// ...but the lines Taken from a run held in the middle of a
		// long line end with a piece of it: a piece, as it was given
		line = l.b[:min(len(l.b), max)]
		l.b = l.b[len(line):]
		return line, true
	}
	line = trimCR(l.b[:i])
	if len(line) > max {
		// in pieces, as lineSplitter cuts a long line: the rest is a
		// line of its own, cut in its turn
		line, l.b = line[:max], l.b[max:]
		return line, true
	}
	l.b = l.b[i+1:]
	return line, true
}

// Empty reports whether no line is left.
func (l *Lines) Empty() bool { return !l.one && len(l.b) == 0 }

// SkipTo skips the first lines of a run, as many as it can while the
// lines left take at least keep bytes (line endings included): for a
// consumer that keeps only the last keep bytes of lines (at least one
// byte a line besides the text) and need not copy those it would drop.
func (l *Lines) SkipTo(keep int) {
	if l.one || len(l.b) <= keep {
		return
	}
	if i := bytes.LastIndexByte(l.b[:len(l.b)-keep], '\n'); i >= 0 {
		l.b = l.b[i+1:]
	}
}

// Taken is the lines of l that were taken (by Next) from l to get rest,
// a copy of l on which Next was called: for a consumer that passes
// lines on, then does something with those the next one took.
func (l Lines) Taken(rest Lines) Lines {
	if l.one {
		if rest.one {
			return Lines{}
		}
		return l
	}
	return Lines{b: l.b[:len(l.b)-len(rest.b)], max: l.max}
}

// Len is the bytes of the lines left (their line endings included).
func (l Lines) Len() int { return len(l.b) }

// AppendRecords is the fast path of a consumer that writes each line as
// a record, head then the line then "\n": it appends the record of each
// line left, taking it, while b is shorter than limit. It stops before a
// line Next would trim or cut (one ending with "\r\n", or longer than the
// run cuts them), and before a piece of a line: the caller takes those
// with Next, then may call it again. One line alone is left to Next.
func (l *Lines) AppendRecords(b, head []byte, limit int) []byte {
	if l.one {
		return b
	}
	max := l.max
	p := l.b
	for len(b) < limit {
		i := bytes.IndexByte(p, '\n')
		if i < 0 || i > max || (i > 0 && p[i-1] == '\r') {
			break
		}
		b = append(b, head...)
		b = append(b, p[:i+1]...) // the line and its "\n"
		p = p[i+1:]
	}
	l.b = p
	return b
}

// KeepCostAtLeast reports whether keeping the lines left costs at least
// bound to a consumer that stores each with a 2-byte length (the Tail's
// ring). The cost is counted from below (a line ending with "\n" costs
// one byte more than it takes in the run, one ending with "\r\n" as
// much; a cut makes pieces that cost more), line by line from the first,
// and only until it reaches bound: a run of short lines is decided after
// a few of them.
func (l Lines) KeepCostAtLeast(bound int) bool {
	cost := len(l.b)
	if l.one {
		return cost+2 >= bound
	}
	for p := l.b; cost < bound; {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return false
		}
		if i == 0 || p[i-1] != '\r' {
			cost++
		}
		p = p[i+1:]
	}
	return true
}

// Copy is l with its bytes copied into buf (reused when it has room):
// for a consumer that keeps a run of lines to take them later, after the
// call (the Tail, which keeps the last run of a flood unparsed).
func (l Lines) Copy(buf []byte) Lines {
	return Lines{b: append(buf[:0], l.b...), one: l.one, max: l.max}
}

// Bytes is the bytes l's lines are taken from (Copy's buffer, to reuse).
func (l Lines) Bytes() []byte { return l.b }

// Append adds the lines of m after those of l (a Copy: l's bytes are its
// own), so that Next gives l's lines then m's, each as it would have been
// given. It does nothing and reports false when it cannot: l is one line,
// or ends with a piece of a line rather than a whole one; m is a run that
// cuts long lines otherwise than l, or ends with a piece; m is one line
// longer than l cuts them.
func (l *Lines) Append(m Lines) bool {
	if l.one || (len(l.b) > 0 && l.b[len(l.b)-1] != '\n') {
		return false
	}
	if !m.one {
		if m.max != l.max || (len(m.b) > 0 && m.b[len(m.b)-1] != '\n') {
			return false
		}
		l.b = append(l.b, m.b...)
		return true
	}
	max := l.max
	if len(m.b) > max {
		return false
	}
	l.b = append(l.b, m.b...)
	if len(m.b) > 0 && m.b[len(m.b)-1] == '\r' {
		l.b = append(l.b, '\r') // Next trims one "\r" before the "\n"
	}
	l.b = append(l.b, '\n')
	return true
}

// LinesOf is one line as Lines (for the tests of a consumer, and for a
// line that does not come from a poller).
func LinesOf(line []byte) *Lines { return &Lines{b: line, one: true} }

// RunOf is a run of whole lines, each ending with "\n", as Lines (for
// the tests of a consumer).
func RunOf(run []byte) *Lines { return &Lines{b: run, max: MaxLine} }

// output is where the lines of one pipe go: each line to emit, or, when
// run is set, a run of whole lines at once to run (ending with "\n",
// longer ones than max to be cut: see lineSplitter), which returns how
// many bytes of it were not taken.
type output struct {
	emit func(line []byte)
	run  func(run []byte, max int) (left int)
	max  int // the longest line (Spec.MaxLine); 0: MaxLine
}

// outputFor is the output of pipe of child pid: the batch form when it
// is set, else the line form (bindPid). The callbacks are taken alone,
// not the Spec, so that a long-lived output registration does not keep
// the spec's environment and argv alive.
func outputFor(emit func(pid int, line []byte), lines func(pid int, l *Lines), pid int) output {
	if lines == nil {
		return output{emit: bindPid(emit, pid)}
	}
	// one Lines per pipe, reused: only the goroutine that reads the pipe
	// (the poller goroutine, or its hot reader) calls these
	l := new(Lines)
	return output{
		emit: func(line []byte) {
			*l = Lines{b: line, one: true}
			lines(pid, l)
			*l = Lines{}
		},
		run: func(run []byte, max int) int {
			*l = Lines{b: run, max: max}
			lines(pid, l)
			left := len(l.b)
			*l = Lines{}
			return left
		},
	}
}
