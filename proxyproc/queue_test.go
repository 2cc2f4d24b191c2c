package proxyproc

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
)

// drain pushes lines and returns what next gives, in order, as "CMD NAME"
// (or the line itself when it does not parse).
func drain(t *testing.T, lines ...string) []string {
	t.Helper()
	q := newCmdQueue()
	for _, l := range lines {
		if !q.push([]byte(l)) {
			t.Fatalf("queue full at %q", l)
		}
	}
	q.end(nil)
	var got []string
	for {
		e, ended, _ := q.next()
		if e == nil {
			if !ended {
				t.Fatal("next gave nothing before the end")
			}
			return got
		}
		if e.err != nil {
			got = append(got, string(e.line))
		} else {
			got = append(got, e.cmd.Command+" "+e.cmd.Name)
		}
	}
}

func startLine(name string) string {
	return `{"command":"start","name":"` + name + `","cmd":"true","env":{},"ignore_stdout":false,"ignore_stderr":false,"tie_stdin_to":null,"no_new_session":false}`
}

func stopLine(name string) string { return `{"command":"stop","name":"` + name + `"}` }

// A stop overtakes the queued lines of other services, never one of its
// own: the lines of each name come out exactly in the order they came in.
func TestQueueStopOvertakesOthersKeepsNameOrder(t *testing.T) {
	got := drain(t,
		startLine("a"), startLine("b"), startLine("c"),
		stopLine("x"),                  // no earlier line of x: first
		stopLine("b"),                  // behind start b: right after it
		startLine("d"), "not json", "", // a bad line stays in its place; a blank one is dropped
		stopLine("a"), startLine("a"), stopLine("a"), // behind start a, in this order
		stopLine("y"), startLine("y"), // stop y first, start y in its place
	)
	want := []string{
		"stop x", "stop y",
		"start a", "stop a",
		"start b", "stop b",
		"start c", "start d", "not json", "start a", "stop a", "start y",
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// Per name, the order is kept whatever the mix: a random-ish interleaving
// of many names comes out with each name's lines in their order.
func TestQueueKeepsEachNamesOrder(t *testing.T) {
	var lines []string
	sent := map[string][]string{}
	for i := range 300 {
		name := fmt.Sprint("s", (i*7)%13)
		cmd := "start"
		if i%3 != 0 {
			cmd = "stop"
		}
		if cmd == "start" {
			lines = append(lines, startLine(name))
		} else {
			lines = append(lines, stopLine(name))
		}
		sent[name] = append(sent[name], cmd)
	}
	got := map[string][]string{}
	for _, g := range drain(t, lines...) {
		cmd, name, _ := strings.Cut(g, " ")
		got[name] = append(got[name], cmd)
	}
	for name := range sent {
		if strings.Join(got[name], ",") != strings.Join(sent[name], ",") {
			t.Errorf("%s: got %v, want %v", name, got[name], sent[name])
		}
	}
}

// slowLauncher takes 20ms to launch anything but "a": a proxy forking
// many services.
type slowLauncher struct{ *osproc.Launcher }

func (l slowLauncher) Launch(spec osproc.Spec, onExit func(int, syscall.WaitStatus)) (*osproc.Process, error) {
	if !slices.Contains(spec.Env, "CONTROL_FREAK_SERVICE=a") {
		time.Sleep(20 * time.Millisecond)
	}
	return l.Launcher.Launch(spec, onExit)
}

// A stop line does not wait for the starts of other services queued
// before it (each a fork+exec): cfkd counts its stopwait from the line.
func TestStopOvertakesQueuedStarts(t *testing.T) {
	r := newRigWith(t, slowLauncher{launcher}, nil, 0)
	r.start(proxywire.Command{Name: "a", Argv: []string{"sleep", "30"}})
	a, _ := r.waitStatus("a", proxywire.StatusStarted)
	const n = 60 // 1.2s of starts
	var batch strings.Builder
	for i := range n {
		b, err := proxywire.EncodeCommand(proxywire.Command{Command: proxywire.CommandStart, Name: fmt.Sprint("o", i),
			Argv: []string{"sleep", "30"}, IgnoreStdout: true, IgnoreStderr: true})
		if err != nil {
			t.Fatal(err)
		}
		batch.Write(b)
	}
	batch.WriteString(stopLine("a") + "\n")
	r.send(strings.TrimSuffix(batch.String(), "\n"))
	got, i := r.waitStatus("a", proxywire.StatusStopped)
	if got.Pid != a.Pid || got.ExitStatus != 15 {
		t.Errorf("a: %+v, want pid %d exit_status 15", got, a.Pid)
	}
	_, j := r.waitStatus(fmt.Sprint("o", n-1), proxywire.StatusStarted)
	if j < i {
		t.Errorf("stop a handled after the %d starts queued before it (stopped line %d, last started line %d)", n, i, j)
	}
}

// Past its bound the queue holds what it has and the reader reads no
// more until the loop took a line: every line still comes, in order.
func TestQueueBoundStopsTheReader(t *testing.T) {
	q := newCmdQueue()
	q.limit = 1 // one line at a time
	var in strings.Builder
	const n = 50
	for i := range n {
		in.WriteString(startLine(fmt.Sprint("s", i)) + "\n")
	}
	quit := make(chan struct{})
	defer close(quit)
	go readLines(strings.NewReader(in.String()), q, quit, func(int) { t.Error("line too long") })
	timeout := time.After(deadline)
	for i := 0; ; {
		select {
		case <-q.wake:
		case <-timeout:
			t.Fatalf("timed out after %d lines", i)
		}
		for {
			q.mu.Lock()
			held := len(q.all)
			q.mu.Unlock()
			if held > 1 {
				t.Fatalf("%d lines queued past the bound", held)
			}
			e, ended, err := q.next()
			if e == nil {
				if ended {
					if i != n || err == nil {
						t.Fatalf("ended (%v) after %d lines, want %d", err, i, n)
					}
					return
				}
				break
			}
			if want := fmt.Sprint("s", i); e.cmd.Name != want {
				t.Fatalf("line %d is %q, want %q", i, e.cmd.Name, want)
			}
			i++
		}
	}
}
