// Package nss bounds the name service lookups that take no context
// (os/user: getpwnam_r and the like, through NSS, LDAP or sssd), which may
// never answer (REFERENCE §1.1, §1.2, §2.4); and, the same way, the file
// system work of a service's launch, whose paths (its env_file, cwd and
// program) may be on a hung NFS or FUSE mount (REFERENCE §2.1): a
// TimeoutError's Lookup then names the path (`env_file /mnt/x/app.env`).
//
// Do runs a lookup in a goroutine of its own and waits for it at most a
// given time; a lookup that does not answer by then is a *TimeoutError.
// The goroutine cannot be killed: it stays until the name service
// answers. So that a name service that is down does not pile goroutines
// up, there is at most one lookup in flight per key (a kind and a name):
// a caller of a key in flight waits for that lookup's answer, or for its
// own time to run out, without starting another. An answer that comes
// after a caller's time ran out is not that caller's: it goes to the
// callers still waiting, if any, and is dropped otherwise (nothing keeps
// it: the next lookup of the key asks again).
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
