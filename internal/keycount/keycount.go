package keycount

import "sync"

// Counts is what is in progress per key and in all, with their bounds.
type Counts struct {
	PerKey int // at most this many per key (0: no bound)
	InAll  int // at most this many in all (0: no bound)

	mu  sync.Mutex
	all int
	by  map[string]int
}

// Take counts one more for key and reports true, unless key has PerKey
// or all keys InAll already; it also returns the counts it found (for a
// refusal's message).
func (c *Counts) Take(key string) (ok bool, ofKey, all int) {
	return c.TakeWithin(key, c.PerKey)
}

// TakeWithin is Take with perKey for PerKey: for a bound that changes
// from one Take to the next (the console's share of a peer, half of a
// bound read at each connection).
func (c *Counts) TakeWithin(key string, perKey int) (ok bool, ofKey, all int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ofKey, all = c.by[key], c.all
	if perKey > 0 && ofKey >= perKey || c.InAll > 0 && all >= c.InAll {
		return false, ofKey, all
	}
	if c.by == nil {
		c.by = map[string]int{}
	}
	c.by[key]++
	c.all++
	return true, ofKey, all
}

// Give counts one less for key, after a Take that returned true.
func (c *Counts) Give(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all--
	if c.by[key]--; c.by[key] <= 0 {
		delete(c.by, key)
	}
}
