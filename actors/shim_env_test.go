package actors

import (
	"testing"
)

// REFERENCE §2.6: umask, limit_nofile and listen_sockets run the command
// through a /bin/sh that execs it, and dash (Debian's /bin/sh) drops the
// variables of its environment whose names are not a shell's: one of
// cfkd's environment named `spring.profiles.active` reached the command
// without umask and silently did not with it. The start now names them
// (never their values); none is named without a shim, nor when every
// name is a shell's.
func TestShimDroppedVariablesWarn(t *testing.T) {
	t.Parallel()
	const many = "the variables spring.profiles.active, my-var, 1X of its environment do not"
	env := []string{"PATH=/usr/bin:/bin", "spring.profiles.active=prod", "my-var=secret", "_ok1=x", "1X=y"}
	for _, c := range []struct {
		name  string
		env   []string
		lines []string
		warn  string // the names it says, "" for no warning
	}{
		{"umask", env, []string{"service s cmd=server", "service s umask=027"}, many},
		{"one", []string{"PATH=/usr/bin:/bin", "a.b=1"}, []string{"service s cmd=server", "service s umask=027"}, "the variable a.b of its environment does not"},
		{"limit_nofile", env, []string{"service s cmd=server", "service s limit_nofile=100"}, many},
		{"listen_sockets", env, []string{"service s cmd=server", "service s listen_sockets=web"}, many},
		{"no shim", env, []string{"service s cmd=server"}, ""},
		{"shell names", []string{"PATH=/usr/bin:/bin", "_ok1=x"}, []string{"service s cmd=server", "service s umask=027"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(logs), func(o *Options) { o.Env = c.env })
			r.bindLoopback("web")
			r.ok(c.lines...)
			r.okDone("command start service s", 1)
			r.fake.waitLaunch(t, 1) // the warning comes before the launch
			want := ""
			if c.warn != "" {
				want = "warning: s: " + c.warn + " reach its command: the /bin/sh that sets its umask, limit_nofile or LISTEN_PID before it execs the command (dash, busybox) drops a variable whose name is not made of letters, digits and '_'"
			}
			logs.oneWarning(t, "reach its command", want)
		})
	}
}
