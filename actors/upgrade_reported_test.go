package actors

import (
	"testing"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
)

// REFERENCE §4.3, §13.2: a proxy's `stopped` whose exit_status is no
// process's end (a stopped process's 4991), or that has none, which
// reaches its service once the service froze for an upgrade in place,
// crosses the exec as what it is: the new cfkd says `proxy reported
// exit_status 4991, which is no process's end` and last_exit
// `exit_status 4991`, as the former would have. The state carried only
// the exit's status, which such an exit does not have (0x7f): the new
// cfkd failed the service with `Exited with error -1`, last_exit `exit
// -1`.
func TestUpgradeCarriesAReportedExit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ reported, reason, last string }{
		{"4991", "proxy reported exit_status 4991, which is no process's end", "exit_status 4991"},
		{lifecycle.NoExitStatus, "proxy reported no exit_status", "no exit_status"},
	} {
		t.Run(tc.reported, func(t *testing.T) {
			t.Parallel()
			old, p, _ := proxiedStartingWith(t, "5")
			old.ok("service s startwait_secs=0")
			p.command() // the start of s
			p.started("s", 301)
			old.expectSeq("s", running)
			old.exportSettled(true)
			// the proxy handled its bad `stopped` just before its pipes
			// froze: the service, frozen first, keeps the exit
			old.tree.System.Root.Send(old.servicePID("s"), messages.ProcessExited{Pid: 301, Status: 0x7f, Reported: tc.reported})
			ex := old.exportSettled(true)
			if e := ex.Services[0].Exits; len(e) != 1 || e[0].Pid != 301 || e[0].Reported != tc.reported {
				t.Fatalf("exits in the final export %+v, want pid 301 reported as %q", e, tc.reported)
			}
			if len(ex.Proxies) != 1 {
				t.Fatalf("exported proxies %+v, want p", ex.Proxies)
			}
			nw := adoptProxied(t, ex, &ex.Proxies[0])
			ev := nw.expectSeq("s", messages.Fail, messages.Starting)
			if ev[0].Reason != tc.reason {
				t.Errorf("the new tree failed s with %q, want %q", ev[0].Reason, tc.reason)
			}
			if i := nw.info("service s")[0]; i.LastExit != tc.last {
				t.Errorf("last_exit %q after the upgrade, want %q", i.LastExit, tc.last)
			}
		})
	}
}
