package messages

import "testing"

// A service under a proxy runs with the proxy's identity, umask, limit of
// open files and working directory: the start line carries none of them
// (REFERENCE §1.1, §4.2). A change of only those, the service staying
// under the same proxy, acts on nothing: declared in place, restarting
// nothing (an apply restarted the service for it). user and group act
// where a ready=exec: probe, run as them, is declared; cwd where that
// probe, run there, or a relative env_file, read from there, is. A move
// to another proxy or out of one, and the same change of a service cfkd
// forks itself, still restart.
func TestProxyIgnoredChangeRestartsNothing(t *testing.T) {
	const px = "proxy p service a cmd=sleep 100\n"
	for _, tc := range []struct {
		old, new string
		attrs    string // the plan line's attributes
		restart  bool
	}{
		{px, px + "service a umask=0027", "umask", false},
		{px + "service a limit_nofile=1024", px + "service a limit_nofile=2048", "limit_nofile", false},
		{px, px + "service a user=nobody\nservice a group=nogroup", "user, group", false},
		{px, px + "service a cwd=/tmp", "cwd", false},
		{px, px + "service a cwd=/tmp\nservice a user=nobody\nservice a umask=0027\nservice a limit_nofile=1024",
			"cwd, user, umask, limit_nofile", false},
		{px, px + "service a umask=0027\nservice a stopwait_secs=3", "stopwait_secs, umask", false},
		// with what the proxy takes: restarted
		{px, px + "service a umask=0027\nservice a add_env=A=1", "add_env, umask", true},
		{px, px + "service a umask=0027\nservice a cmd=sleep 101", "cmd, umask", true},
		// a probe run as user and group, in cwd
		{px + "service a ready=exec:true", px + "service a ready=exec:true\nservice a user=nobody", "user", true},
		{px + "service a ready=exec:true", px + "service a ready=exec:true\nservice a cwd=/tmp", "cwd", true},
		{px + "service a ready=exec:true", px + "service a ready=exec:true\nservice a umask=0027", "umask", false},
		{px + "service a ready=tcp:127.0.0.1:1", px + "service a ready=tcp:127.0.0.1:1\nservice a user=nobody", "user", false},
		// an env_file read from cwd
		{px + "service a env_file=app.env", px + "service a env_file=app.env\nservice a cwd=/tmp", "cwd", true},
		{px + "service a env_file=/etc/app.env", px + "service a env_file=/etc/app.env\nservice a cwd=/tmp", "cwd", false},
		// another proxy, or none
		{px, "proxy q service a cmd=sleep 100\nservice a umask=0027", "proxy, umask", true},
		{px, "service a cmd=sleep 100\nservice a umask=0027", "proxy, umask", true},
		{"service a cmd=sleep 100\n", px + "service a umask=0027", "proxy, umask", true},
		{"service a cmd=sleep 100\n", "service a cmd=sleep 100\nservice a umask=0027", "umask", true},
		{"service a cmd=sleep 100\n", "service a cmd=sleep 100\nservice a user=nobody", "user", true},
	} {
		a := declareLines(t, tc.old).Services["a"]
		b := declareLines(t, tc.new).Services["a"]
		attrs := DiffService(a, b)
		if got := (Change{Op: OpChange, Kind: KindService, Name: "a", Attrs: attrs}).Format(); got != "~ a: "+tc.attrs {
			t.Errorf("%q over %q: plan line %q, want '~ a: %s'", tc.new, tc.old, got, tc.attrs)
		}
		if got := NeedsRestart(ActingAttrs(a, b, attrs)); got != tc.restart {
			t.Errorf("%q over %q: restart %v, want %v", tc.new, tc.old, got, tc.restart)
		}
		if got := ServiceRunChanged(a, b); got != tc.restart {
			t.Errorf("%q over %q: ServiceRunChanged %v, want %v", tc.new, tc.old, got, tc.restart)
		}
		have := Declarations{Services: map[string]ServiceConfig{"a": a}}
		want := Declarations{Services: map[string]ServiceConfig{"a": b}}
		plan := WithInPlace(PlanOf(have, want), have, want, map[string]ServiceConfig{"a": a})
		if len(plan) != 1 || plan[0].InPlace == tc.restart {
			t.Errorf("%q over %q: plan %v, in place want %v", tc.new, tc.old, plan, !tc.restart)
		}
	}
}
