package actors

import (
	"strings"
	"testing"
)

// REFERENCE §2.6: the shim gets IFS, OPTIND, PPID and PWD under other
// names, 9 bytes longer (CFK_SHIM_IFS=...), and the kernel passes at
// most 131071 bytes a string of the environment (MAX_ARG_STRLEN, with
// its NUL 32 pages): a value that `IFS=VALUE` carries, as the env_file's
// check lets through, made the shim's entry too long, and every launch
// of a service with a umask failed `exec /bin/sh: argument list too
// long`, where the same service without it ran. The value now reaches
// the shim in parts, set back whole. The spec is run for real through
// /bin/sh.
func TestShimHandsOnValuesAsLongAsTheKernelPasses(t *testing.T) {
	t.Parallel()
	const maxArgStrlen = 32 * 4096
	fill := func(k, end string) string { // `K=VALUE` of 131071 bytes
		return strings.Repeat("x", maxArgStrlen-1-len(k)-1-len(end)) + end
	}
	want := map[string]string{
		"IFS":    fill("IFS", "i"),
		"OPTIND": " " + strings.Repeat(" ", maxArgStrlen-1-len("OPTIND=")-3) + "42",
		"PWD":    "/" + fill("PWD", "/d")[1:],
		"PPID":   fill("PPID", "p"),
	}
	env := []string{"PATH=/usr/bin:/bin"}
	for k, v := range want {
		env = append(env, k+"="+v)
	}
	if !shIsDash() {
		delete(want, "PPID")
	}
	r := newRig(t, func(o *Options) { o.Env = env })
	r.ok("service s cmd=env -0", "service s umask=027", "service s add_env=CFK_SHIM_IFS_1=not-the-shims")
	r.okDone("command start service s", 1)
	spec := r.fake.waitLaunch(t, 1).Spec
	for _, kv := range spec.Env {
		if len(kv) >= maxArgStrlen {
			k, _, _ := strings.Cut(kv, "=")
			t.Errorf("the shim's environment has %s of %d bytes, which execve(2) refuses", k, len(kv))
		}
	}
	out, err := runSpec(t, spec)
	if err != nil {
		t.Fatalf("the shim: %v", err)
	}
	got := envOf(out)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("the command has %s of %d bytes, want the %d of its environment", k, len(got[k]), len(v))
		}
	}
	for k, v := range got {
		if strings.HasPrefix(k, shimSaved) && (k != "CFK_SHIM_IFS_1" || v != "not-the-shims") {
			t.Errorf("the command has the shim's %s", k)
		}
	}
	if v := got["CFK_SHIM_IFS_1"]; v != "not-the-shims" { // the service's own (REFERENCE §2.6)
		t.Errorf("the command has CFK_SHIM_IFS_1=%q, want the service's", v)
	}
}

// REFERENCE §2.6: dash adds a PWD, its working directory, when its
// environment has none, and exports it: a service with a umask had
// one where the same service without it had none (a cfkd started
// without PWD, as systemd starts it, and no cwd). The shim unsets it;
// with a cwd, whose PWD the environment has, the command has that one.
// Each spec is run for real through /bin/sh.
func TestShimAddsNoPWD(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		name, cwd string
	}{{"no cwd", ""}, {"a cwd", dir}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, func(o *Options) { o.Env = []string{"PATH=/usr/bin:/bin"} })
			r.ok("service s cmd=env -0", "service s limit_nofile=1000")
			if c.cwd != "" {
				r.ok("service s cwd=" + c.cwd)
			}
			r.okDone("command start service s", 1)
			spec := r.fake.waitLaunch(t, 1).Spec
			out, err := runSpec(t, spec)
			if err != nil {
				t.Fatalf("the shim: %v", err)
			}
			if pwd, ok := envOf(out)["PWD"]; ok != (c.cwd != "") || pwd != c.cwd {
				t.Errorf("the command has PWD %q (%v), want %q", pwd, ok, c.cwd)
			}
		})
	}
}
