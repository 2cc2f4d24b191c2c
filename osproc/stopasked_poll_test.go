//go:build !linux || cfkportable

package osproc

// stopAsked says whether stop was called on p (its goroutine may not
// have taken it yet).
func stopAsked(p *poller) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopReq
}
