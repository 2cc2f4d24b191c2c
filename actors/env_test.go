package actors

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// mergeEnvByMap is mergeEnv as it was written first (a map of every
// overlay key, then the keys in first-seen order): the reference.
func mergeEnvByMap(base []string, overlays ...[]messages.EnvVar) []string {
	set := map[string]string{}
	var order []string
	for _, ov := range overlays {
		for _, e := range ov {
			if _, ok := set[e.Key]; !ok {
				order = append(order, e.Key)
			}
			set[e.Key] = e.Value
		}
	}
	out := make([]string, 0, len(base)+len(order))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; !ok {
			out = append(out, kv)
		}
	}
	for _, k := range order {
		out = append(out, k+"="+set[k])
	}
	return out
}

// TestMergeEnv: the overlays win over the base and a later overlay over
// an earlier one, each key once, where it first appeared, with its last
// value; a key that is a prefix of another is not confused with it; the
// same with more overlay variables than the scan is used for (a map).
func TestMergeEnv(t *testing.T) {
	t.Parallel()
	ev := func(kv ...string) []messages.EnvVar {
		var out []messages.EnvVar
		for _, s := range kv {
			k, v, _ := strings.Cut(s, "=")
			out = append(out, messages.EnvVar{Key: k, Value: v})
		}
		return out
	}
	var many []messages.EnvVar
	for i := range 40 {
		many = append(many, messages.EnvVar{Key: fmt.Sprintf("V%d", i%30), Value: fmt.Sprint(i)})
	}
	cases := []struct {
		base     []string
		overlays [][]messages.EnvVar
		want     []string // nil: only the reference's
	}{
		{[]string{"PATH=/bin", "HOME=/root", "A=base"}, [][]messages.EnvVar{ev("A=1", "B=2"), ev("B=3", "AB=4"), ev("A=5")},
			[]string{"PATH=/bin", "HOME=/root", "A=5", "B=3", "AB=4"}},
		{[]string{"A=1", "A=2", "AA=3"}, [][]messages.EnvVar{ev("AA=x")}, []string{"A=1", "A=2", "AA=x"}},
		{[]string{"X="}, [][]messages.EnvVar{ev("Y="), ev("X=")}, []string{"Y=", "X="}},
		{nil, nil, []string{}},
		{[]string{"V3=base", "KEEP=1"}, [][]messages.EnvVar{many, ev("V5=last")}, nil},
	}
	// and random ones, over few and over many variables
	rng := rand.New(rand.NewPCG(11, 11))
	key := func() string { return string(rune('A'+rng.IntN(6))) + strings.Repeat("A", rng.IntN(2)) }
	for range 300 {
		var c struct {
			base     []string
			overlays [][]messages.EnvVar
			want     []string
		}
		for range rng.IntN(8) {
			c.base = append(c.base, key()+"="+fmt.Sprint(rng.IntN(9)))
		}
		per := 1 + rng.IntN(20)
		for range 1 + rng.IntN(3) {
			var ov []messages.EnvVar
			for range rng.IntN(per) {
				ov = append(ov, messages.EnvVar{Key: key(), Value: fmt.Sprint(rng.IntN(9))})
			}
			c.overlays = append(c.overlays, ov)
		}
		cases = append(cases, c)
	}
	for i, c := range cases {
		got := mergeEnv(c.base, c.overlays...)
		ref := mergeEnvByMap(c.base, c.overlays...)
		if !slices.Equal(got, ref) {
			t.Errorf("case %d: %q, the reference gives %q", i, got, ref)
		}
		if c.want != nil && !slices.Equal(got, c.want) {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}
