package fleet

import "testing"

// TestParsePolicyRefusesAnEmptyWord: `--fleet-allow destroy,,bind` is
// refused as `hosts=a,,b` is (REFERENCE §12.3, §12.5): the empty entry
// was dropped, where a word may have been left out. An empty list is
// operate alone.
func TestParsePolicyRefusesAnEmptyWord(t *testing.T) {
	const want = "(want declare, destroy, bind, unbind, apply, shutdown, comma separated)"
	for _, list := range []string{"destroy,,bind", "destroy,", ",destroy", ",", "destroy, ,bind"} {
		_, err := ParsePolicy(list)
		if err == nil || err.Error() != "--fleet-allow: empty word in "+list+" "+want {
			t.Errorf("--fleet-allow %q: %v", list, err)
		}
	}
	for _, list := range []string{"", " ", "destroy, bind", "destroy,bind"} {
		if _, err := ParsePolicy(list); err != nil {
			t.Errorf("--fleet-allow %q: %v", list, err)
		}
	}
	if p, _ := ParsePolicy("destroy, bind"); p.String() != "operate,destroy,bind" {
		t.Errorf("destroy, bind: %s", p)
	}
}
