// Package nss bounds the name service lookups that take no context
// (os/user: getpwnam_r and the like, through NSS, LDAP or sssd), which may
// never answer (REFERENCE §1.1, §1.2, §2.4).
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
	done chan struct{}
	v    any
	err  error
}

var (
	mu       sync.Mutex
	inFlight = map[string]*flight{}
)

// Do returns fn's answer, fn being the lookup of key (what describes it
// in a TimeoutError: `user lookup "www"`), or a *TimeoutError once
// timeout has passed. A lookup of key in flight already is waited for
// instead of calling fn again.
func Do(key, what string, timeout time.Duration, fn func() (any, error)) (any, error) {
	mu.Lock()
	f := inFlight[key]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		inFlight[key] = f
		go func() {
			v, err := fn()
			mu.Lock()
			f.v, f.err = v, err
			delete(inFlight, key)
			mu.Unlock()
			close(f.done)
		}()
	}
	mu.Unlock()
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
func InFlight() int {
	mu.Lock()
	defer mu.Unlock()
	return len(inFlight)
}
