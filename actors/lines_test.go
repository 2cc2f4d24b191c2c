package actors

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// The status lines of every service are handed out again while none
// changed (a poll makes no garbage), and made again, without touching
// the slice handed out before, once one did.
func TestStatusOfAllKept(t *testing.T) {
	c := &Controller{services: map[string]*entry{}}
	for _, n := range []string{"b", "a", "c"} {
		e := &entry{}
		e.setConfig(&messages.ServiceConfig{Name: n})
		c.services[n] = e
	}
	first := c.statusOfAll()
	if len(first) != 3 || !strings.HasPrefix(first[0], "a\t") || cap(first) != len(first) {
		t.Fatalf("status of all: %q (cap %d)", first, cap(first))
	}
	was := append([]string(nil), first...)
	if again := c.statusOfAll(); &again[0] != &first[0] {
		t.Fatal("status of all made again although no service changed")
	}
	rt := c.services["b"].rt
	rt.State, rt.Pid = messages.Running, 42
	c.services["b"].setRuntime(rt)
	after := c.statusOfAll()
	if &after[0] == &first[0] {
		t.Fatal("status of all handed out again after b changed")
	}
	if !strings.Contains(after[1], "42") {
		t.Fatalf("b's line after its change: %q", after[1])
	}
	for i := range was {
		if first[i] != was[i] {
			t.Fatalf("the slice handed out before was changed: %q, was %q", first, was)
		}
	}
}
