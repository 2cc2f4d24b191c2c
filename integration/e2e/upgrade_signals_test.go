package e2e

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestUpgradeSurvivesSignalsDuringExec: REFERENCE §7.3 says HUP, INT and
// TERM are caught (and ignored with -t) and USR1 reloads the logs; §13.5
// says a shutdown asked during an upgrade is refused. A signal that comes
// while the upgrade runs, in the new cfkd before it has installed its
// handlers, killed it: the services were left unsupervised. HUP, INT,
// USR1 and USR2 are ignored across the exec now, and caught from the new
// cfkd's first line on.
func TestUpgradeSurvivesSignalsDuringExec(t *testing.T) {
	newBin, _ := upgradeBins(t)
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args []string
	}{
		{"HUP with -t", syscall.SIGHUP, []string{"-t"}},
		{"USR1", syscall.SIGUSR1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startDaemon(t, "", tc.args...)
			c := d.dial()
			c.ok("service a cmd=sleep 1000", "command start service a")
			c.until("a running", func() bool { return c.status("a")[1] == "running" })
			before := c.pidsOf()["a"]
			pid := d.cmd.Process.Pid

			// send the signal every 200µs for the whole upgrade
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					case <-d.exited:
						return
					default:
					}
					syscall.Kill(pid, tc.sig)
					time.Sleep(200 * time.Microsecond)
				}
			}()
			stopSignals := func() { close(stop); wg.Wait() }

			r := d.dial().do("command upgrade " + newBin)
			if r.Err != nil {
				stopSignals()
				t.Fatalf("upgrade: %v", r.Err)
			}
			end := time.Now().Add(deadline)
			for !d.versionIs("cfk " + newVersion) {
				select {
				case <-d.exited:
					stopSignals()
					t.Fatalf("cfkd died of %v during the upgrade (%v): service a (pid %s) is left unsupervised\n%s",
						tc.sig, d.err, before, d.stderr.String())
				default:
				}
				if time.Now().After(end) {
					stopSignals()
					t.Fatalf("the new cfkd never answered")
				}
				time.Sleep(5 * time.Millisecond)
			}
			stopSignals()
			if got := d.dial().pidsOf()["a"]; got != before {
				t.Errorf("pid of a %s after the upgrade, was %s", got, before)
			}
			if len(tc.args) > 0 { // -t: SIGTERM does not stop it
				d.dial().ok("command shutdown")
				if err := d.waitExit(); err != nil {
					t.Fatalf("exit: %v", err)
				}
			}
		})
	}
}
