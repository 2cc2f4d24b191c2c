package earlysig

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestCatchTakeRelease: Catch catches (a USR2 waits in the channel, not
// its default action, which would end the test), Take hands the channel
// over once, and Release stops catching and raises what was caught again,
// so that whoever asks for it then gets it.
func TestCatchTakeRelease(t *testing.T) {
	Catch()
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(10 * time.Second)
	for len(caught) == 0 {
		if time.Now().After(end) {
			t.Fatal("the USR2 was not caught")
		}
		time.Sleep(time.Millisecond)
	}
	later := make(chan os.Signal, 1)
	signal.Notify(later, syscall.SIGUSR2)
	defer signal.Stop(later)
	for len(later) > 0 { // the Notify may see the USR2 sent before it too
		<-later
	}
	Release()
	if Take() != nil {
		t.Fatal("Take after Release handed a channel")
	}
	select {
	case s := <-later:
		if s != syscall.SIGUSR2 {
			t.Fatalf("raised again: %v, want USR2", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Release did not raise the caught USR2 again")
	}

	Catch()
	ch := Take()
	if ch == nil || Take() != nil {
		t.Fatalf("Take: %v, then a second channel", ch)
	}
	signal.Stop(ch)
}
