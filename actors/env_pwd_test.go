package actors

import (
	"slices"
	"testing"
)

// A service with cwd gets PWD naming it, not cfkd's (REFERENCE §2.4):
// make's $(PWD) and a script's $PWD took cfkd's directory for the
// service's. add_env replaces it; without cwd, cfkd's is the service's
// directory and PWD stays.
func TestPwdIsTheServicesCwd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := newRig(t, func(o *Options) { o.Env = []string{"PATH=/usr/bin:/bin", "PWD=/where/cfkd/runs"} })
	r.startRunning("w", "cwd="+dir)
	if env := r.fake.waitLaunch(t, 1).Spec.Env; !slices.Contains(env, "PWD="+dir) || slices.Contains(env, "PWD=/where/cfkd/runs") {
		t.Errorf("w (cwd %s): %q", dir, env)
	}
	r.startRunning("x")
	if env := r.fake.waitLaunch(t, 2).Spec.Env; !slices.Contains(env, "PWD=/where/cfkd/runs") {
		t.Errorf("x (no cwd): %q", env)
	}
	r.startRunning("y", "cwd="+dir, "add_env=PWD=/mine")
	if env := r.fake.waitLaunch(t, 3).Spec.Env; !slices.Contains(env, "PWD=/mine") || slices.Contains(env, "PWD="+dir) {
		t.Errorf("y (add_env PWD): %q", env)
	}
	r.shutdownClean()
}
