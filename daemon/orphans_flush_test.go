//go:build linux

package daemon

import (
	"io"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// An exit queued for the orphan scan while the scan loop pauses after a
// scan was told to its service only after the pause: an upgrade froze the
// launcher and took the services' state in between, the exit was lost at
// the exec, and the new cfkd made it a SIGKILL (REFERENCE §13). Flush
// returns only once every queued exit is told.
func TestFlushDeliversTheQueuedExits(t *testing.T) {
	k := newQuietOrphanKiller(t)
	for round := 0; round < 20; round++ {
		told := make(chan string, 2)
		k.afterStop(stoppedExit{name: "a", deliver: func() { told <- "a" }})
		if got := <-told; got != "a" {
			t.Fatal(got)
		}
		// the loop now pauses, or looks at the queue once more
		k.afterStop(stoppedExit{name: "b", deliver: func() { told <- "b" }})
		if !k.Flush(10 * time.Second) {
			t.Fatalf("round %d: Flush gave up", round)
		}
		select {
		case <-told:
		default:
			t.Fatalf("round %d: Flush returned before the exit queued was told", round)
		}
	}
	k.pending.Wait()
}

// Flush gives up once its time is over, rather than hang the upgrade on a
// scan that does not end (here the loop is held, as by a /proc read stuck
// on a process in uninterruptible sleep).
func TestFlushGivesUp(t *testing.T) {
	k := newQuietOrphanKiller(t)
	hold, held := make(chan struct{}), make(chan struct{})
	k.afterStop(stoppedExit{name: "a", deliver: func() { close(held); <-hold }})
	<-held
	if k.Flush(100 * time.Millisecond) {
		t.Fatal("Flush said the queued exits were told while the scan loop was held")
	}
	close(hold)
	if !k.Flush(10 * time.Second) {
		t.Fatal("Flush gave up once the loop was free")
	}
	k.pending.Wait()
}

// newQuietOrphanKiller is an orphanKiller on a launcher of its own,
// closed at the end of the test, that logs nowhere.
func newQuietOrphanKiller(t *testing.T) *orphanKiller {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	l, err := osproc.New(log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return newOrphanKiller(l, log, 200*time.Millisecond)
}

// Flush's time is over however short it is: the timer fired before the
// deadline was computed and woke a wait that then began again, unbounded
// (try 13 of 20,000 with 1 µs still waited after 2 s).
func TestFlushBoundedEveryTime(t *testing.T) {
	k := newQuietOrphanKiller(t)
	hold, held := make(chan struct{}), make(chan struct{})
	k.afterStop(stoppedExit{name: "a", deliver: func() { close(held); <-hold }})
	<-held
	defer func() { close(hold); k.pending.Wait() }()
	for i := 0; i < 5000; i++ {
		done := make(chan bool, 1)
		go func() { done <- k.Flush(time.Microsecond) }()
		select {
		case ok := <-done:
			if ok {
				t.Fatal("Flush said done while the loop was held")
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("try %d: Flush(1µs) still waits after 2s", i)
		}
	}
}
