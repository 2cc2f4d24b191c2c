package keycount

import "testing"

// Take refuses past either bound, Give makes room again, and a key
// whose count falls to zero is forgotten.
func TestCounts(t *testing.T) {
	c := &Counts{PerKey: 2, InAll: 3}
	for _, k := range []string{"a", "a", "b"} {
		if ok, _, _ := c.Take(k); !ok {
			t.Fatalf("%s refused within the bounds", k)
		}
	}
	if ok, ofKey, all := c.Take("a"); ok || ofKey != 2 || all != 3 {
		t.Fatalf("a third a: %v %d %d, want refused with 2 and 3", ok, ofKey, all)
	}
	if ok, _, all := c.Take("c"); ok || all != 3 {
		t.Fatalf("c past the bound in all: %v %d", ok, all)
	}
	c.Give("b")
	if ok, _, _ := c.Take("c"); !ok {
		t.Fatal("the room b gave back was not taken")
	}
	c.Give("a")
	c.Give("a")
	c.Give("c")
	if c.all != 0 || len(c.by) != 0 {
		t.Fatalf("counts left: %d %v", c.all, c.by)
	}
	// no bounds: the zero value takes anything
	var free Counts
	for range 1000 {
		if ok, _, _ := free.Take("x"); !ok {
			t.Fatal("refused without a bound")
		}
	}
}

// TakeWithin applies the bound it is given, not PerKey: a bound that
// shrinks refuses a key that holds as many already.
func TestTakeWithin(t *testing.T) {
	c := &Counts{PerKey: 1}
	for range 3 {
		if ok, _, _ := c.TakeWithin("a", 3); !ok {
			t.Fatal("refused within the bound given")
		}
	}
	if ok, ofKey, _ := c.TakeWithin("a", 3); ok || ofKey != 3 {
		t.Fatalf("a fourth a within 3: %v %d", ok, ofKey)
	}
	if ok, _, _ := c.TakeWithin("a", 2); ok {
		t.Fatal("a bound lowered under the count let one more in")
	}
	if ok, _, _ := c.TakeWithin("b", 0); !ok {
		t.Fatal("no bound (0) refused")
	}
}
