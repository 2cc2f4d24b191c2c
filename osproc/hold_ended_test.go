package osproc

import (
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"
)

// procFds counts the test process's open fds, -1 where /proc/self/fd is
// not there.
func procFds() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// A held pipe whose writers were all gone (the run that wrote it ended)
// stayed open until its resume: with a stuck destination, a service
// crashing in a loop kept one pipe fd per ended run (16 more in cfkd
// after 9 crashes), until cfkd had none left. One ended run's pipe is
// kept per service and stream (the last one's, resumed as before): the
// one kept before is read to its end with no hold possible (the
// destination keeps what its bound allows and counts the rest dropped)
// and closed.
func TestHeldPipesOfEndedRunsBounded(t *testing.T) {
	p, _ := testPoller(t)
	before := procFds()
	const runs = 10
	var cs []*collector
	var wants [][]string
	resumes := make(chan func(), runs)
	var stuck atomic.Bool
	stuck.Store(true)
	for run := range runs {
		r, w := rawPipe(t)
		data, want := numbered(fmt.Sprintf("run%d", run), 3000) // fits in a pipe: the writer ends
		c := newCollector(len(want))
		cs, wants = append(cs, c), append(wants, want)
		var holds atomic.Int64
		if err := p.addWith(r, output{emit: func(l []byte) {
			c.emit(l)
			// a stuck destination: every line holds, nothing resumes
			if !stuck.Load() {
				return
			}
			if resume, ok := HoldOutput(); ok && holds.Add(1) == 1 {
				resumes <- resume
			}
		}}, pipeMeta{pid: 100 + run, stream: "stdout", tag: "service:crashy"}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteString(data); err != nil {
			t.Fatal(err)
		}
		w.Close() // the run ends, its pipe held
		if run == 0 {
			continue
		}
		// the run before is read to its end and closed
		cs[run-1].wait(t, fmt.Sprintf("run %d: the lines of the held pipe of run %d, ended", run, run-1))
		if got := cs[run-1].get(); !slices.Equal(got, wants[run-1]) {
			t.Fatalf("run %d: %d lines, want %d, in order", run-1, len(got), len(wants[run-1]))
		}
		eventually(t, "one held pipe of an ended run kept", func() (bool, string) {
			return p.registered() == 1, fmt.Sprintf("%d pipes registered", p.registered())
		})
	}
	if before >= 0 {
		eventually(t, "one more fd at most after the ended runs", func() (bool, string) {
			after := procFds()
			return after <= before+1, fmt.Sprintf("%d fds open after %d ended runs held, %d before", after, runs, before)
		})
	}
	if got := len(cs[runs-1].get()); got >= len(wants[runs-1]) {
		t.Fatalf("the last run's pipe, kept held, gave all its %d lines before its resume", got)
	}
	// the last one is resumed as any held pipe: its lines, then its end
	stuck.Store(false)
	for range runs {
		(<-resumes)()
	}
	cs[runs-1].wait(t, "the last run's lines after the resume")
	eventually(t, "every pipe closed", func() (bool, string) {
		return p.registered() == 0, fmt.Sprintf("%d pipes registered", p.registered())
	})
	if before >= 0 {
		eventually(t, "no more fds than before, after the resume", func() (bool, string) {
			after := procFds()
			return after <= before, fmt.Sprintf("%d fds open, %d before", after, before)
		})
	}
}
