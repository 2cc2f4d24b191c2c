package daemon

import (
	"os"
	"testing"
)

// The new cfkd of an upgrade in place forks no /bin/sh before it takes
// the services over: it takes the former cfkd's answer, carried in
// shKeepsEnv and unset at once, or, with none, takes /bin/sh for one
// that drops the names; a cfkd started afresh probes.
func TestShKeepsCarriedAcrossAnUpgradeNotProbed(t *testing.T) {
	probed := 0
	old := shProbe
	shProbe = func(string) bool { probed++; return true }
	t.Cleanup(func() { shProbe = old })
	for _, c := range []struct {
		env         string
		set         bool
		keeps, know bool
	}{
		{"1", true, true, true},
		{"0", true, false, true},
		{"yes", true, false, false},
		{"", false, false, false},
	} {
		if c.set {
			t.Setenv(shKeepsEnv, c.env)
		} else {
			os.Unsetenv(shKeepsEnv)
		}
		keeps, known := shKeepsFromEnv()
		if keeps != c.keeps || known != c.know {
			t.Errorf("%s=%q (set %v): %v %v, want %v %v", shKeepsEnv, c.env, c.set, keeps, known, c.keeps, c.know)
		}
		if _, ok := os.LookupEnv(shKeepsEnv); ok {
			t.Errorf("%s=%q: still set after it was read: a service would inherit it", shKeepsEnv, c.env)
		}
		if got := shKeeps(true, keeps, known); got != (c.keeps && c.know) || probed != 0 {
			t.Errorf("adopting, %s=%q: %v (probed %d times), want %v without a probe", shKeepsEnv, c.env, got, probed, c.keeps && c.know)
		}
	}
	if !shKeeps(false, false, false) || probed != 1 {
		t.Errorf("a cfkd started afresh: probed %d times, want 1 (its answer taken)", probed)
	}
	if v := shKeepsVar(true); v != shKeepsEnv+"=1" {
		t.Errorf("shKeepsVar(true) = %q", v)
	}
	if v := shKeepsVar(false); v != shKeepsEnv+"=0" {
		t.Errorf("shKeepsVar(false) = %q", v)
	}
}
