package messages

import (
	"slices"
	"testing"
)

// requires replaces the list, unsets with an empty value, and never shares
// the slice it was given (a config sent to an actor stays as it was sent).
func TestRequiresApply(t *testing.T) {
	c := NewServiceConfig("app")
	in := []string{"db", "cache"}
	c, err := c.Apply(SvcRequires, Value{List: in})
	if err != nil || !slices.Equal(c.Requires, []string{"db", "cache"}) {
		t.Fatalf("requires=db,cache: %q %v", c.Requires, err)
	}
	in[0] = "changed"
	if c.Requires[0] != "db" {
		t.Fatalf("Apply kept the caller's slice: %q", c.Requires)
	}
	d, _ := c.Apply(SvcRequires, Value{List: []string{"mq"}})
	if !slices.Equal(d.Requires, []string{"mq"}) || !slices.Equal(c.Requires, []string{"db", "cache"}) {
		t.Fatalf("replace: new %q, old %q", d.Requires, c.Requires)
	}
	if d, _ = d.Apply(SvcRequires, Value{Unset: true}); d.Requires != nil {
		t.Fatalf("unset: %q", d.Requires)
	}
}
