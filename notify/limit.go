package notify

import (
	"os"
	"time"
)

// euid is cfkd's user: its datagrams on cfkd's own socket, as root's, are
// its services'.
var euid = os.Geteuid()

// Own reports whether uid is root's or cfkd's user's: the uids of the
// runs cfkd's own socket serves (the others get the shared one), which
// the members of --admin-group reach too.
func Own(uid int) bool { return uid == 0 || uid == euid }

// limiter is a token bucket per sender pid, one per uid on the shared
// socket, and one for all of them.
type limiter struct {
	senders map[int]*bucket
	uids    map[int]*bucket
	all     bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter() *limiter {
	return &limiter{senders: map[int]*bucket{}, uids: map[int]*bucket{}, all: bucket{tokens: Burst * 4}}
}

// take refills b at rate up to burst since its last use, then takes one
// token if there is one.
func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if !b.at.IsZero() {
		b.tokens = min(burst, b.tokens+now.Sub(b.at).Seconds()*rate)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// allow takes a datagram of pid, of uid: on the shared socket one uid,
// whatever its number of processes, gets UidRate of the GlobalRate, so
// that the runs of one user cannot starve another's. On cfkd's own socket
// (not shared) so does a uid other than root's and cfkd's: the members of
// --admin-group reach it too (its home is 0710 then), and a read member's
// flood from a few hundred processes took every token of the GlobalRate,
// so the WATCHDOG=1 of cfkd's own services were dropped and they were
// killed as hung.
func (l *limiter) allow(pid, uid int, shared bool, now time.Time) bool {
	perUid := shared || !Own(uid)
	b := l.senders[pid]
	if b == nil {
		if len(l.senders) >= maxSenders {
			l.senders = map[int]*bucket{} // forget them all: a bound, not a policy
		}
		b = &bucket{tokens: Burst}
		l.senders[pid] = b
	}
	if !b.take(now, Rate, Burst) {
		return false
	}
	if perUid {
		u := l.uids[uid]
		if u == nil {
			if len(l.uids) >= maxSenders {
				l.uids = map[int]*bucket{}
			}
			u = &bucket{tokens: UidBurst}
			l.uids[uid] = u
		}
		if !u.take(now, UidRate, UidBurst) {
			return false
		}
	}
	return l.all.take(now, GlobalRate, Burst*4)
}
