package e2e

import (
	"testing"
)

// REFERENCE §7.5, §4.6: a proxied service that exited on its own kept the
// daemon it forked (a forking service) until its stop; but cfk-proxy, a
// child subreaper, holds that daemon, and cfkd's scan for a stop of a
// service down (or in backoff) cannot see it: the daemon ran on while
// another service kept the proxy up, after the `stop` and after a
// `destroy`, until the proxy ended and cfkd shut down. cfkd now writes
// the stop line of such a service to its proxy, which ends the daemons
// of that exited child at that line. The Python preload proxy, no
// subreaper, answered that line `Oops, I don't know about 's'`; it logs
// what cfk-proxy does, and cfkd's scan ends the daemon it adopted.
func TestProxiedStopOfExitedEndsItsDaemons(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"stop", "destroy"} {
		t.Run(verb, func(t *testing.T) { proxiedStopOfExitedEndsItsDaemons(t, needProxy(t), verb) })
	}
	t.Run("python", func(t *testing.T) { proxiedStopOfExitedEndsItsDaemons(t, needPythonProxy(t), "stop") })
}

func proxiedStopOfExitedEndsItsDaemons(t *testing.T, proxyCmd, verb string) {
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("proxy p cmd="+proxyCmd,
		"proxy p service keep cmd=sleep 1000", // keeps the auto proxy up
		`proxy p service s cmd=(setsid sleep 1009 </dev/null >/dev/null 2>&1 &); sleep 0.3; exit 1`,
		"service s startwait_secs=0.1", "service s respawn_on_fail=0")
	c.ok("command start service keep")
	c.until("keep running", func() bool { return c.status("keep")[1] == "running" })
	_, ppid := c.proxyStatus("p")
	c.ok("command start service s")
	c.until("s failed", func() bool { return c.status("s")[1] == "fail" })
	daemon := daemonOf(t, d.home, "s", "sleep\x001009")
	if pp := parentOfPid(daemon); pp != ppid && proxyCmd == cfkProxyBin {
		t.Fatalf("the daemon %d has parent %d, not the proxy %d", daemon, pp, ppid)
	}
	if verb == "stop" {
		if r := c.do("command stop service s"); r.Err == nil || r.Err.Error() != "Service 's' is already down" {
			t.Fatalf("stop of a failed service: %v, want Service 's' is already down", r.Err)
		}
	} else {
		c.ok("command destroy service s")
	}
	waitFor(t, "the daemon of s ended", func() bool { return gone(daemon) })
	waitLog(t, d.home, "stopping s: it had exited (pid ")
	if st, pid := c.proxyStatus("p"); st != "up" || pid != ppid {
		t.Fatalf("proxy p: %s %d, want up %d (kept up by keep)", st, pid, ppid)
	}
}
