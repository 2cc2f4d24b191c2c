package notify

import (
	"testing"
	"time"
)

// On cfkd's own socket, the processes of a uid other than root's and
// cfkd's share one uid's bounds, as on the shared socket: a member of
// --admin-group (which reaches that socket: its home is 0710) that
// flooded it from 400 processes took every token of the global rate, so
// the WATCHDOG=1 of a root service were dropped and it was killed as
// hung. Root's and cfkd's own processes keep the whole global rate.
func TestOtherUidCannotStarveOwnSocket(t *testing.T) {
	const flooders, nobody = 300, 65534
	run := func(floodUid int) (flood, pings int) {
		l, now := newLimiter(), time.Unix(1000, 0)
		for step := range 1000 { // one second, a step a millisecond
			now = now.Add(time.Millisecond)
			for p := range flooders {
				// a new process each time (fork, send, exit): no
				// sender's own bound holds it back
				if l.allow(100000+(step*flooders+p)%1000000, floodUid, false, now) {
					flood++
				}
			}
			if step%100 == 50 && l.allow(42, 0, false, now) { // a service's ping, 10 a second
				pings++
			}
		}
		return flood, pings
	}
	flood, pings := run(nobody)
	if pings != 10 {
		t.Errorf("root's service under a flood of uid %d: %d pings of 10 taken", nobody, pings)
	}
	if max := UidBurst + int(UidRate) + 1; flood > max {
		t.Errorf("uid %d: %d datagrams taken in a second, want at most %d", nobody, flood, max)
	}
	if flood, _ := run(0); flood < int(GlobalRate)*3/4 {
		t.Errorf("root's processes: %d datagrams taken in a second, want the global rate (%v)", flood, GlobalRate)
	}
}
