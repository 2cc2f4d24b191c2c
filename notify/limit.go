package notify

import "time"

// limiter is a token bucket per sender pid, and one for all of them.
type limiter struct {
	senders map[int]*bucket
	all     bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter() *limiter {
	return &limiter{senders: map[int]*bucket{}, all: bucket{tokens: Burst * 4}}
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

func (l *limiter) allow(pid int, now time.Time) bool {
	b := l.senders[pid]
	if b == nil {
		if len(l.senders) >= maxSenders {
			l.senders = map[int]*bucket{} // forget them all: a bound, not a policy
		}
		b = &bucket{tokens: Burst}
		l.senders[pid] = b
	}
	return b.take(now, Rate, Burst) && l.all.take(now, GlobalRate, Burst*4)
}
