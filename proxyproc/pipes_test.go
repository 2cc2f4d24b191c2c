package proxyproc

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cfk/cfk/proxywire"
)

// writeRecorder records each Write; the first one waits for gate, so that
// everything queued meanwhile is written by the writes after it.
type writeRecorder struct {
	gate   chan struct{}
	mu     sync.Mutex
	writes [][]byte
	once   sync.Once
}

func (w *writeRecorder) Write(b []byte) (int, error) {
	w.once.Do(func() { <-w.gate })
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, append([]byte(nil), b...))
	return len(b), nil
}

// The original cfkd reads the log pipe with Perl's readline on a
// non-blocking handle: a line of which only a part is in the pipe is read as
// a whole line. So each write must be whole lines of at most proxywire.PipeBuf bytes
// (what the kernel never splits), however many lines are queued and however
// long a message is.
func TestLogWritesAreWholeLinesOfAtMostPipeBuf(t *testing.T) {
	rec := &writeRecorder{gate: make(chan struct{})}
	l := newLogWriter(rec)

	var want []string
	add := func(typ, name, msg string) {
		l.line(typ, name, []byte(msg))
	}
	add("out", "-", "first") // its write waits for the gate
	want = append(want, "out:-:first")
	time.Sleep(20 * time.Millisecond) // run holds "first" and waits in Write
	for i := 0; i < 300; i++ {        // ~30 KB queued meanwhile
		msg := strings.Repeat("x", 90) + string(rune('a'+i%26))
		add("out", "svc", msg)
		want = append(want, "out:svc:"+msg)
	}
	long := strings.Repeat("é", 5000) // 10000 bytes, 2-byte runes
	add("err", "svc", long)
	close(rec.gate)
	l.close(5 * time.Second)

	var all bytes.Buffer
	for i, w := range rec.writes {
		if len(w) > proxywire.PipeBuf {
			t.Errorf("write %d: %d bytes, more than proxywire.PipeBuf (%d)", i, len(w), proxywire.PipeBuf)
		}
		if !bytes.HasSuffix(w, []byte("\n")) {
			t.Errorf("write %d does not end a line: ...%q", i, w[max(0, len(w)-20):])
		}
		all.Write(w)
	}
	lines := strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n")
	if len(lines) < len(want)+3 {
		t.Fatalf("%d lines written, want %d + the pieces of the long one", len(lines), len(want))
	}
	for i, w := range want {
		if lines[i] != w {
			t.Fatalf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	var pieces strings.Builder
	for _, ln := range lines[len(want):] {
		ll, err := proxywire.ParseLogLine(ln)
		if err != nil || ll.Stream != "err" || ll.Service != "svc" {
			t.Fatalf("piece of the long line: %q (%v)", ln, err)
		}
		if !utf8.ValidString(ll.Message) {
			t.Errorf("piece cut inside a UTF-8 character: ...%q", ll.Message[max(0, len(ll.Message)-4):])
		}
		pieces.WriteString(ll.Message)
	}
	if pieces.String() != long {
		t.Errorf("the pieces of the long message do not add up to it (%d bytes, want %d)", pieces.Len(), len(long))
	}
}

// The original proxy never dropped a line (it blocked): a burst of output
// that cfkd logs more slowly than it comes is queued (up to logQueueBytes),
// not dropped; past the bound, lines are dropped and their number logged.
func TestLogBurstQueuedThenDroppedPastTheBound(t *testing.T) {
	for _, tc := range []struct {
		name        string
		limit       int // 0: logQueueBytes
		n           int
		wantDropped int
	}{
		{"burst of 4 MB", 0, 50000, 0},
		{"past the bound", 10 * 100, 30, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &writeRecorder{gate: make(chan struct{})}
			l := newLogWriter(rec)
			if tc.limit > 0 {
				l.mu.Lock()
				l.limit = tc.limit
				l.mu.Unlock()
			}
			l.line("out", "-", []byte("first"))
			time.Sleep(20 * time.Millisecond) // run waits in its first Write
			msg := []byte(strings.Repeat("y", 100-len("out:s:\n")))
			for i := 0; i < tc.n; i++ {
				l.line("out", "s", msg)
			}
			close(rec.gate)
			l.close(10 * time.Second)
			var all bytes.Buffer
			for _, w := range rec.writes {
				all.Write(w)
			}
			lines := strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n")
			got := 0
			var dropLine string
			for _, ln := range lines[1:] {
				switch {
				case ln == "out:s:"+string(msg):
					got++
				case strings.HasPrefix(ln, "err:-:"):
					dropLine = ln
				default:
					t.Fatalf("unexpected line %q", ln)
				}
			}
			if got != tc.n-tc.wantDropped {
				t.Errorf("%d lines written, want %d", got, tc.n-tc.wantDropped)
			}
			if tc.wantDropped == 0 && dropLine != "" {
				t.Errorf("unexpected %q", dropLine)
			}
			if tc.wantDropped > 0 && !strings.HasPrefix(dropLine, "err:-:20 log lines dropped") {
				t.Errorf("drop line = %q, want err:-:20 log lines dropped...", dropLine)
			}
		})
	}
}
