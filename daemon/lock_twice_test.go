package daemon

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockNeverHeldTwice: REFERENCE §7.2, a second cfkd on the same home
// refuses to start. cfkds starting while another exits (release: the file
// removed, then unlocked) must never hold the lock of one home at once.
// takeLock opened the file, then flocked it: one that opened the file
// before a release removed it got the flock of the removed file, while
// the next one created a new file at the path and locked that one too.
//
// Each holder leaves the count before it releases, so the one releasing
// is not counted: two counted holders are two cfkds running on one home.
func TestLockNeverHeldTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	var holders, most atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				l, _, err := takeLock(path)
				if err != nil {
					continue
				}
				n := holders.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(20 * time.Microsecond)
				holders.Add(-1)
				l.release()
			}
		}()
	}
	end := time.After(2 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
loop:
	for most.Load() < 2 {
		select {
		case <-end:
			break loop
		case <-tick.C:
		}
	}
	close(stop)
	wg.Wait()
	if m := most.Load(); m > 1 {
		t.Fatalf("%d holders of the lock of one home at once", m)
	}
}
