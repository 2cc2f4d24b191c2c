package daemon

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// The end event of a page's log follow said "the log source ended the
// stream" whether the page had fallen behind or its service was
// destroyed; it says which (REFERENCE §10.3).
func TestFollowEndSaysWhy(t *testing.T) {
	tree := noLaunchTree(t, "service a cmd=sleep 100", "service b cmd=sleep 100")
	logs := tailLogs{tail: tree.Tail()}

	// a page that takes nothing: cut off past the backlog
	lines, stop, ended, err := logs.Follow("a")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// the goroutine of the follow holds a batch of the feed (at most the
	// backlog) and 64 lines in its channel, then the feed fills
	for range 2*followBacklog.Lines + 64 + 1 {
		tree.Tail().ServiceLine("a", "out", 0, []byte("line"))
	}
	drain(t, lines)
	if why := ended(); !strings.HasPrefix(why, "too slow: more than 2000 lines or 1024 KiB waiting (") {
		t.Errorf("cut off: end reason %q", why)
	}

	// its service destroyed
	lines, stop2, ended, err := logs.Follow("b")
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()
	if rep := tree.Exec("command destroy service b", 10*time.Second); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	drain(t, lines)
	if why := ended(); why != "service 'b' was destroyed" {
		t.Errorf("destroyed: end reason %q", why)
	}
}

// noLaunch launches nothing: the test starts no process.
// noLaunchTree starts a quiet actor tree whose services never launch
// (noLaunch), with lines declared; it stops at the test's end.
func noLaunchTree(t *testing.T, lines ...string) *actors.Tree {
	t.Helper()
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	tree, err := actors.Start(actors.Options{Launcher: noLaunch{}, Log: quiet, ServiceLog: quiet, Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tree.Stop)
	for _, l := range lines {
		if rep := tree.Exec(l, 10*time.Second); rep.Err != nil {
			t.Fatalf("%s: %v", l, rep.Err)
		}
	}
	return tree
}

type noLaunch struct{}

func (noLaunch) Launch(osproc.Spec, func(int, syscall.WaitStatus)) (*osproc.Process, error) {
	return nil, errors.New("no process in this test")
}
func (noLaunch) Signal(*osproc.Process, syscall.Signal) error { return osproc.ErrDone }
func (noLaunch) Handle(int, int) (*osproc.Process, error) {
	return nil, errors.New("no process in this test")
}

// drain reads lines until the source closes it.
func drain(t *testing.T, lines <-chan string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the follow did not end")
		}
	}
}
