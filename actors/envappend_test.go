package actors

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// add_env lines declared one at a time make the list withEnv makes
// (messages' Apply), a new key appended at a constant cost: no list is
// copied but to grow it (20,000 lines on one service copied 200 million
// entries, 9.4 s of cfkd's CPU). Every declaration handed out stays as it
// was, also one of a declaration that then failed.
func TestAddEnvAppended(t *testing.T) {
	e := &entry{}
	e.setConfig(&messages.ServiceConfig{Name: "e"})
	ref := *e.cfg
	type held struct{ got, want []messages.EnvVar }
	var kept []held
	rng := rand.New(rand.NewSource(1))
	fast := 0
	for i := 0; i < 3000; i++ {
		v := messages.Value{Key: fmt.Sprintf("K%d", i), Str: fmt.Sprint(i)}
		switch r := rng.Intn(1000); {
		case r == 0:
			v = messages.Value{Unset: true}
		case r < 20:
			v.Key = fmt.Sprintf("K%d", rng.Intn(i+1)) // set again
		}
		cfg := *e.cfg
		if env, ok := e.appendEnv(v); ok {
			cfg.Env = env
			fast++
		} else {
			var err error
			if cfg, err = cfg.Apply(messages.SvcAddEnv, v); err != nil {
				t.Fatal(err)
			}
		}
		want, err := ref.Apply(messages.SvcAddEnv, v)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.Env, want.Env) {
			t.Fatalf("line %d: %d variables, want %d", i, len(cfg.Env), len(want.Env))
		}
		kept = append(kept, held{cfg.Env, slices.Clone(want.Env)})
		if rng.Intn(10) == 0 {
			continue // a declaration that failed after: not e's
		}
		ref = want
		c := cfg
		e.setConfig(&c)
	}
	if fast < 2500 {
		t.Fatalf("%d lines of 3,000 appended in place", fast)
	}
	for i, h := range kept {
		if !slices.Equal(h.got, h.want) {
			t.Fatalf("declaration %d changed since", i)
		}
	}
}

// The lines that append in place cost no copy of the list: growing it
// doubles it.
func TestAddEnvAppendAllocs(t *testing.T) {
	e := &entry{}
	cfg := messages.ServiceConfig{Name: "e"}
	for i := 0; i < 40; i++ {
		var err error
		if cfg, err = cfg.Apply(messages.SvcAddEnv, messages.Value{Key: fmt.Sprintf("A%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	e.setConfig(&cfg)
	i := 0
	allocs := testing.AllocsPerRun(20000, func() {
		i++
		env, ok := e.appendEnv(messages.Value{Key: keys[i%len(keys)] + fmt.Sprint(i)})
		if !ok {
			t.Fatal("not appended")
		}
		c := *e.cfg
		c.Env = env
		e.cfg = &c
	})
	// fmt.Sprint and the config: 2 or 3; a copy per line was 1 more
	// and 20,000 entries
	if allocs > 4 {
		t.Fatalf("%v allocations a line", allocs)
	}
}

var keys = []string{"X", "Y", "Z"}
