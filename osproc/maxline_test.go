package osproc

import (
	"reflect"
	"testing"
	"time"
)

// A pipe added with an output of max bytes a line (Spec.MaxLine) gives
// its long lines in pieces of that size, in both forms of the callback,
// also when the line comes in several reads: a proxy asks for pieces of
// one log line of PIPE_BUF (cfk-proxy, REFERENCE §6.4).
func TestOutputMaxLine(t *testing.T) {
	for _, batch := range []bool{false, true} {
		p, _ := testPoller(t)
		r, w := rawPipe(t)
		lines := make(chan string, 16)
		out := outputFor(func(_ int, l []byte) { lines <- string(l) }, nil, 1)
		if batch {
			out = outputFor(nil, func(_ int, l *Lines) {
				for line, ok := l.Next(); ok; line, ok = l.Next() {
					lines <- string(line)
				}
			}, 1)
		}
		out.max = 10
		if err := p.addWith(r, out, pipeMeta{pid: 1, stream: "stdout"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("abcdefghijklmno")); err != nil {
			t.Fatal(err)
		}
		var got []string
		next := func() {
			select {
			case l := <-lines:
				got = append(got, l)
			case <-time.After(10 * time.Second):
				t.Fatalf("batch %v: lines %q, then none for 10s", batch, got)
			}
		}
		next() // the first piece, before the rest is written
		if _, err := w.Write([]byte("pqrstuvwxyz\nshort\n0123456789abc\n")); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			next()
		}
		want := []string{"abcdefghij", "klmnopqrst", "uvwxyz", "short", "0123456789", "abc"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("batch %v: lines %q, want %q", batch, got, want)
		}
	}
}
