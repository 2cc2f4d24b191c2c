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
		env   string
		set   bool
		keeps bool
	}{
		{"1", true, true},
		{"0", true, false},
		{"yes", true, false},
		{"", false, false},
	} {
		if c.set {
			t.Setenv(shKeepsEnv, c.env)
		} else {
			os.Unsetenv(shKeepsEnv)
		}
		keeps := shKeepsFromEnv()
		if keeps != c.keeps {
			t.Errorf("%s=%q (set %v): %v, want %v", shKeepsEnv, c.env, c.set, keeps, c.keeps)
		}
		if _, ok := os.LookupEnv(shKeepsEnv); ok {
			t.Errorf("%s=%q: still set after it was read: a service would inherit it", shKeepsEnv, c.env)
		}
		if got := shKeeps(true, keeps); got != c.keeps || probed != 0 {
			t.Errorf("adopting, %s=%q: %v (probed %d times), want %v without a probe", shKeepsEnv, c.env, got, probed, c.keeps)
		}
	}
	if !shKeeps(false, false) || probed != 1 {
		t.Errorf("a cfkd started afresh: probed %d times, want 1 (its answer taken)", probed)
	}
	if v := shKeepsVar(true); v != shKeepsEnv+"=1" {
		t.Errorf("shKeepsVar(true) = %q", v)
	}
	if v := shKeepsVar(false); v != shKeepsEnv+"=0" {
		t.Errorf("shKeepsVar(false) = %q", v)
	}
}
