package actors

import (
	"testing"
	"time"
)

// heldUntil drops the holds expired and says when the earliest of the
// others expires: the proxy looks again then (armHold).
func TestProxyHeldUntil(t *testing.T) {
	now := time.Now()
	p := &Proxy{opts: Options{ProxyHoldGrace: time.Second}}
	if got := p.heldUntil(now); !got.IsZero() {
		t.Fatalf("no hold: held until %v", got)
	}
	p.hold("a", now.Add(-2*time.Second)) // expired a second ago
	p.hold("b", now.Add(3*time.Second))
	p.hold("c", now.Add(time.Second))
	if got, want := p.heldUntil(now), now.Add(2*time.Second); !got.Equal(want) {
		t.Fatalf("held until %v, want %v (c's retry and the grace)", got, want)
	}
	if _, ok := p.holds["a"]; ok || len(p.holds) != 2 {
		t.Fatalf("holds %v, want b and c (a expired)", p.holds)
	}
	if got := p.heldUntil(now.Add(5 * time.Second)); !got.IsZero() || len(p.holds) != 0 {
		t.Fatalf("after every hold: held until %v, holds %v", got, p.holds)
	}
}
