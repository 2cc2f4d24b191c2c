package nss

import (
	"fmt"
	"sync"
	"time"
)

// Timeout is how long a lookup may take (sockets.LookupTimeout, and a
// service's user and group lookups: REFERENCE §1.1, §1.2).
const Timeout = 5 * time.Second

// TimeoutError is a lookup that did not answer in time.
type TimeoutError struct {
	Lookup string        // what was looked up: `user lookup "www"`
	After  time.Duration // how long it was waited for
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s did not answer within %v", e.Lookup, e.After)
}

// flight is a lookup in flight: done is closed once v and err are set.
type flight struct {
	done  chan struct{}
	v     any
	err   error
	start time.Time
}

// Flights are the lookups in flight of one user of the package (its zero
// value is ready): the same key in two Flights is two lookups.
type Flights struct {
	mu sync.Mutex
	m  map[string]*flight
	// FailFast: a caller of a key whose lookup has been in flight for
	// the caller's whole timeout already is a *TimeoutError at once,
	// rather than after waiting that long again for it (a path on a
	// hung mount, known not to answer: a retry every second, a stop,
	// are not held by it).
	FailFast bool
}

var shared Flights

// Do is Flights.Do on the package's Flights.
func Do(key, what string, timeout time.Duration, fn func() (any, error)) (any, error) {
	return shared.Do(key, what, timeout, fn)
}

// Do returns fn's answer, fn being the lookup of key (what describes it
// in a TimeoutError: `user lookup "www"`), or a *TimeoutError once
// timeout has passed. A lookup of key in flight already is waited for
// instead of calling fn again.
func (g *Flights) Do(key, what string, timeout time.Duration, fn func() (any, error)) (any, error) {
	g.mu.Lock()
	f := g.m[key]
	if f == nil {
		if g.m == nil {
			g.m = map[string]*flight{}
		}
		f = &flight{done: make(chan struct{}), start: time.Now()}
		g.m[key] = f
		go func() {
			v, err := fn()
			g.mu.Lock()
			f.v, f.err = v, err
			delete(g.m, key)
			g.mu.Unlock()
			close(f.done)
		}()
	} else if g.FailFast && time.Since(f.start) >= timeout {
		g.mu.Unlock()
		return nil, &TimeoutError{Lookup: what, After: timeout}
	}
	g.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-f.done:
		return f.v, f.err
	case <-t.C:
		return nil, &TimeoutError{Lookup: what, After: timeout}
	}
}

// InFlight is the number of lookups in flight (tests).
func (g *Flights) InFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}
