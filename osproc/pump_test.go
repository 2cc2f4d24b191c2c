package osproc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// pipeMode says how the read end given to Pump is made.
type pipeMode struct {
	name     string
	nonblock bool // non-blocking, in Go's poller; else a blocking fd (the fallback)
}

var pipeModes = []pipeMode{{"polled", true}, {"blocking", false}}

// newPipe returns a read end as mode says and a blocking write end.
func newPipe(t testing.TB, mode pipeMode) (r, w *os.File) {
	t.Helper()
	pr, pw, err := pipeCloexec()
	if err != nil {
		t.Fatal(err)
	}
	if mode.nonblock {
		if err := syscall.SetNonblock(pr, true); err != nil {
			t.Fatal(err)
		}
	}
	r, w = os.NewFile(uintptr(pr), "r"), os.NewFile(uintptr(pw), "w")
	if _, ok := polled(r); ok != mode.nonblock {
		t.Fatalf("%s pipe: polled %v", mode.name, ok)
	}
	return r, w
}

// pump writes the chunks into a pipe and returns the lines Pump emits.
func pump(t testing.TB, mode pipeMode, max int, chunks [][]byte) []string {
	t.Helper()
	r, w := newPipe(t, mode)
	writeErr := make(chan error, 1)
	go func() {
		defer w.Close()
		for _, c := range chunks {
			if _, err := w.Write(c); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()
	var got []string
	Pump(r, max, func(line []byte) { got = append(got, string(line)) })
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err == nil {
		t.Error("Pump did not close its file")
	}
	return got
}

// refLines is the model of Pump: split at "\n", drop one "\r" at the end of
// each line ended by "\n", a last line without "\n" counts if not empty
// (a "\r" at its end kept), and a line longer than max is cut in pieces
// of max bytes.
func refLines(data string, max int) []string {
	parts := strings.Split(data, "\n")
	if last := parts[len(parts)-1]; last == "" {
		parts = parts[:len(parts)-1]
	}
	out := []string{}
	for i, l := range parts {
		if i < strings.Count(data, "\n") {
			l = strings.TrimSuffix(l, "\r")
		}
		if l == "" {
			out = append(out, "")
		}
		for len(l) > 0 {
			n := min(len(l), max)
			out = append(out, l[:n])
			l = l[n:]
		}
	}
	return out
}

// chunk cuts data at the given offsets.
func chunk(data string, cuts ...int) [][]byte {
	var out [][]byte
	prev := 0
	for _, c := range cuts {
		out = append(out, []byte(data[prev:c]))
		prev = c
	}
	return append(out, []byte(data[prev:]))
}

func TestPumpLines(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"nothing", "", []string{}},
		{"one line", "hello\n", []string{"hello"}},
		{"lines", "a\nbb\nccc\n", []string{"a", "bb", "ccc"}},
		{"partial last line", "a\nb", []string{"a", "b"}},
		{"empty lines", "\na\n\n\nb\n", []string{"", "a", "", "", "b"}},
		{"just a newline", "\n", []string{""}},
		{"crlf", "a\r\nb\r\n\r\n", []string{"a", "b", ""}},
		{"cr inside", "a\rb\n\r\r\n", []string{"a\rb", "\r"}},
		{"cr at eof", "a\r", []string{"a\r"}},
		{"crs at eof", "a\n\r\r", []string{"a", "\r\r"}},
		{"spaces kept", "  a b \n", []string{"  a b "}},
		{"binary", "\x00\xff\n", []string{"\x00\xff"}},
	} {
		for _, mode := range pipeModes {
			t.Run(tc.name+"/"+mode.name, func(t *testing.T) {
				// in one write, then in every split into two writes
				if got := pump(t, mode, MaxLine, chunk(tc.data)); !slices.Equal(got, tc.want) {
					t.Errorf("one write: %q, want %q", got, tc.want)
				}
				for i := 0; i <= len(tc.data); i++ {
					if got := pump(t, mode, MaxLine, chunk(tc.data, i)); !slices.Equal(got, tc.want) {
						t.Errorf("writes %q: %q, want %q", chunk(tc.data, i), got, tc.want)
					}
				}
				// byte by byte
				var cuts []int
				for i := 1; i < len(tc.data); i++ {
					cuts = append(cuts, i)
				}
				if got := pump(t, mode, MaxLine, chunk(tc.data, cuts...)); !slices.Equal(got, tc.want) {
					t.Errorf("byte by byte: %q, want %q", got, tc.want)
				}
			})
		}
	}
}

// randomCase is random data of a, \r and \n (up to 80 bytes), random
// places to cut it into writes, and a small max line length.
func randomCase(rng *rand.Rand) (data string, cuts []int, max int) {
	n := rng.IntN(80)
	b := make([]byte, n)
	for i := range b {
		b[i] = "aaaa\r\n"[rng.IntN(6)]
	}
	for i := 1; i < n; i++ {
		if rng.IntN(4) == 0 {
			cuts = append(cuts, i)
		}
	}
	return string(b), cuts, 1 + rng.IntN(12)
}

// Random data of a, \r and \n, random writes, a small max: Pump behaves
// as the model.
func TestPumpRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, mode := range pipeModes {
		for range 300 {
			data, cuts, max := randomCase(rng)
			want := refLines(data, max)
			if got := pump(t, mode, max, chunk(data, cuts...)); !slices.Equal(got, want) {
				t.Fatalf("%s: data %q in writes %q, max %d:\n got %q\nwant %q", mode.name, data, chunk(data, cuts...), max, got, want)
			}
		}
	}
}

func FuzzPump(f *testing.F) {
	f.Add("a\r\nbb\n\nlong line here\r", uint8(4), uint8(3))
	f.Add("0123456789\r\n", uint8(10), uint8(5))
	f.Add("0123456789\r", uint8(10), uint8(11))
	f.Fuzz(func(t *testing.T, data string, max, every uint8) {
		m := 1 + int(max)%32
		var cuts []int
		for i := 1 + int(every); every > 0 && i < len(data); i += int(every) {
			cuts = append(cuts, i)
		}
		want := refLines(data, m)
		if got := pump(t, pipeModes[0], m, chunk(data, cuts...)); !slices.Equal(got, want) {
			t.Fatalf("max %d: got %q, want %q", m, got, want)
		}
	})
}

func TestPumpLongLines(t *testing.T) {
	for _, mode := range pipeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("1 MiB without newline", func(t *testing.T) {
				data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
				got := pump(t, mode, MaxLine, [][]byte{data})
				total := 0
				for i, l := range got {
					if len(l) != MaxLine {
						t.Fatalf("piece %d: %d bytes, want %d", i, len(l), MaxLine)
					}
					total += len(l)
				}
				if total != len(data) || strings.Join(got, "") != string(data) {
					t.Errorf("pieces sum to %d bytes, want %d", total, len(data))
				}
			})
			for _, tc := range []struct {
				name  string
				data  string
				max   int
				wants []int // lengths
			}{
				{"exactly MaxLine", strings.Repeat("x", MaxLine) + "\n", MaxLine, []int{MaxLine}},
				{"exactly MaxLine crlf", strings.Repeat("x", MaxLine) + "\r\n", MaxLine, []int{MaxLine}},
				{"MaxLine+1", strings.Repeat("x", MaxLine+1) + "\n", MaxLine, []int{MaxLine, 1}},
				{"2 MaxLine", strings.Repeat("x", 2*MaxLine) + "\n" + "y\n", MaxLine, []int{MaxLine, MaxLine, 1}},
				{"max smaller than a read", strings.Repeat("x", 25) + "\n", 10, []int{10, 10, 5}},
				{"max 0 is MaxLine", strings.Repeat("x", MaxLine+1) + "\n", 0, []int{MaxLine, 1}},
				{"max smaller than a read crlf", strings.Repeat("x", 20) + "\r\n", 10, []int{10, 10}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var cuts []int
					for i := 7; i < len(tc.data); i += 4093 { // odd chunking too
						cuts = append(cuts, i)
					}
					for _, chunks := range [][][]byte{{[]byte(tc.data)}, chunk(tc.data, cuts...)} {
						got := pump(t, mode, tc.max, chunks)
						var lens []int
						for _, l := range got {
							lens = append(lens, len(l))
						}
						if !slices.Equal(lens, tc.wants) {
							t.Errorf("%d writes: line lengths %v, want %v", len(chunks), lens, tc.wants)
						}
					}
				})
			}
		})
	}
}

// Pump's memory does not grow with what goes through it.
func TestPumpMemoryBounded(t *testing.T) {
	for _, mode := range pipeModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("flood of lines", func(t *testing.T) {
				const total = 50 << 20
				block := bytes.Repeat([]byte(strings.Repeat("x", 99)+"\n"), 655) // 65500 bytes: lines cross writes
				lines, alloc := pumpCounting(t, mode, block, total/len(block))
				if want := total / len(block) * 655; lines != want {
					t.Errorf("%d lines, want %d", lines, want)
				}
				if alloc > 8<<20 && !raceEnabled {
					t.Errorf("Pump allocated %d bytes for %d MB of lines", alloc, total>>20)
				}
				t.Logf("%d bytes allocated for %d MB", alloc, total>>20)
			})
			t.Run("one endless line", func(t *testing.T) {
				block := bytes.Repeat([]byte("y"), 65536)
				pieces, alloc := pumpCounting(t, mode, block, 160) // 10 MiB
				if want := 160 * 65536 / MaxLine; pieces != want {
					t.Errorf("%d pieces, want %d", pieces, want)
				}
				if alloc > 2<<20 && !raceEnabled {
					t.Errorf("Pump allocated %d bytes for a 10 MiB line", alloc)
				}
				t.Logf("%d bytes allocated for a 10 MiB line", alloc)
			})
		})
	}
}

// pumpCounting writes block n times and counts the lines Pump emits (no
// line may exceed MaxLine); alloc is what the process allocated meanwhile.
func pumpCounting(t *testing.T, mode pipeMode, block []byte, n int) (lines int, alloc uint64) {
	r, w := newPipe(t, mode)
	start := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() {
		defer w.Close()
		<-start
		for range n {
			if _, err := w.Write(block); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()
	tooLong := 0
	emit := func(line []byte) {
		lines++
		if len(line) > MaxLine {
			tooLong++
		}
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	close(start)
	Pump(r, MaxLine, emit)
	runtime.ReadMemStats(&after)
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if tooLong > 0 {
		t.Errorf("%d lines longer than MaxLine", tooLong)
	}
	return lines, after.TotalAlloc - before.TotalAlloc
}

func BenchmarkPump(b *testing.B) {
	line := []byte(strings.Repeat("z", 99) + "\n")
	block := bytes.Repeat(line, 1000)
	for _, mode := range pipeModes {
		b.Run(mode.name, func(b *testing.B) {
			r, w := newPipe(b, mode)
			go func() {
				defer w.Close()
				for i := 0; i < b.N; i += 1000 {
					n := min(1000, b.N-i)
					if _, err := w.Write(block[:n*len(line)]); err != nil {
						panic(fmt.Sprint("write: ", err))
					}
				}
			}()
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			Pump(r, MaxLine, func([]byte) { n++ })
			if n != b.N {
				b.Fatalf("%d lines, want %d", n, b.N)
			}
		})
	}
}
