package osproc

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// A poller stopped before it read what a pipe held emitted that pipe's
// partial line only and closed it with its lines unread: lost. A proxy
// stops its poller as soon as its last child's exit is reported to cfkd,
// which shut it down: that child's last lines were lost when the poller
// was late (CI: TestProxiedServiceBackoffAndLog, one of three stderr lines
// never reached cfkd.log). The stop emits what every pipe holds now.
func TestStopEmitsWhatPipesHold(t *testing.T) {
	p, stop := testPoller(t)
	busyR, busyW := rawPipe(t)
	r, w := rawPipe(t)
	inCallback, held := make(chan struct{}), make(chan struct{})
	// before the poller's stop (cleanups run last first): a callback
	// still held would keep the stop waiting
	release := sync.OnceFunc(func() { close(held) })
	t.Cleanup(release)
	if err := p.add(busyR, func([]byte) {
		close(inCallback)
		<-held // the poller goroutine is kept here
	}); err != nil {
		t.Fatal(err)
	}
	data, want := numbered("last", 500)
	want = append(want, "partial")
	c := newCollector(len(want))
	if err := p.add(r, c.emit); err != nil {
		t.Fatal(err)
	}
	if _, err := busyW.WriteString("busy\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inCallback:
	case <-time.After(deadline):
		t.Fatal("the busy pipe's line never came")
	}
	// written while the poller cannot read: it is in the pipe at the stop
	if _, err := w.WriteString(data + "partial"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	end := time.Now().Add(deadline)
	for !stopAsked(p) {
		if time.Now().After(end) {
			release()
			t.Fatal("the stop was never asked")
		}
		time.Sleep(time.Millisecond)
	}
	release()
	select {
	case <-stopped:
	case <-time.After(deadline):
		t.Fatal("the poller never stopped")
	}
	if got := c.get(); !slices.Equal(got, want) {
		t.Fatalf("emitted by the stop: %d lines of %d\n%q", len(got), len(want), got)
	}
}
