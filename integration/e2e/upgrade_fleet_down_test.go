package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
)

// TestUpgradeFleetListenFailsKeepsServices: REFERENCE §13.4, the new cfkd
// of an upgrade in place that cannot listen on --fleet-listen (another
// process took the address during the exec) or make its member (its key
// made readable by others after the check) shut every service down (the
// fleet's error at a start), or stopped with them unsupervised. It runs
// on now without its fleet: the services keep their pids, the log says
// so, and `command fleet` answers why.
func TestUpgradeFleetListenFailsKeepsServices(t *testing.T) {
	for _, c := range []struct{ name, breakIt, want string }{
		{"address taken", "", "address already in use"},
		{"key readable by others", `chmod 644 "$KEY"`, "lets others read or change it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			addr, hub := freePortOn(t, "127.0.0.2"), freePortOn(t, "127.0.0.1")
			cd := filepath.Join(dir, "certs")
			if out, err := exec.Command(cfkctlBin, "fleet", "certs", cd, "--hub", "hub="+hub, "--host", "web1="+addr).CombinedOutput(); err != nil {
				t.Fatalf("cfkctl fleet certs: %v\n%s", err, out)
			}
			key := filepath.Join(cd, "web1.key")
			conf := filepath.Join(dir, "web1.conf")
			writeFileE2E(t, conf, "service a cmd=sleep 1000\nservice a startwait_secs=0.2\ncommand start all\n")
			// the new binary: a cfkd that the check passes, whose exec
			// then waits for the test (and breaks the key) before it runs
			wrapper := filepath.Join(dir, "cfkd-next")
			script := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = --check-upgrade ]; then exec %q \"$@\"; fi\nKEY=%q\n%s\n: > %q\nwhile [ ! -e %q ]; do sleep 0.01; done\nexec %q \"$@\"\n",
				cfkdBin, key, c.breakIt, filepath.Join(dir, "execd"), filepath.Join(dir, "go"), cfkdBin)
			if err := writeExecutable(wrapper, []byte(script)); err != nil {
				t.Fatal(err)
			}
			d := startDaemon(t, filepath.Join(dir, "home"), "-c", conf, "--fleet-listen", addr,
				"--fleet-ca", filepath.Join(cd, certs.CAFile), "--fleet-cert", filepath.Join(cd, "web1.pem"), "--fleet-key", key)
			cl := d.dial()
			cl.until("a running", func() bool { return cl.status("a")[1] == "running" })
			pid := cl.pidsOf()["a"]
			if r := cl.do("command upgrade " + wrapper); r.Err != nil {
				t.Fatalf("upgrade: %v", r.Err)
			}
			end := time.Now().Add(deadline)
			for {
				if _, err := os.Stat(filepath.Join(dir, "execd")); err == nil {
					break
				}
				if time.Now().After(end) {
					t.Fatalf("the new binary was not exec'd in %v", deadline)
				}
				time.Sleep(5 * time.Millisecond)
			}
			if c.breakIt == "" { // the exec closed the fleet listener: take its address
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					t.Fatalf("the fleet address is still taken after the exec: %v", err)
				}
				defer ln.Close()
			}
			writeFileE2E(t, filepath.Join(dir, "go"), "go")
			logPath := filepath.Join(d.home, "cfkd.log")
			said := func() bool {
				b, _ := os.ReadFile(logPath)
				return strings.Contains(string(b), "fleet: the new cfkd of the upgrade in place does not listen on "+addr)
			}
			for !said() {
				select {
				case <-d.exited:
					b, _ := os.ReadFile(logPath)
					t.Fatalf("the new cfkd exited: %v\n%s\nlog: %.3000s", d.err, d.stderr.String(), b)
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(end.Add(deadline)) {
					b, _ := os.ReadFile(logPath)
					t.Fatalf("the fleet's failure not logged\nlog: %.3000s", b)
				}
			}
			cl = d.dial()
			if st := cl.status("a"); st[1] != "running" || cl.pidsOf()["a"] != pid {
				t.Fatalf("a after the upgrade: %q (pid was %s)", st, pid)
			}
			r := cl.do("command fleet hosts")
			if r.Err == nil || !strings.Contains(r.Err.Error(), "out of its fleet since its upgrade in place") || !strings.Contains(r.Err.Error(), c.want) {
				t.Fatalf("command fleet hosts: %v %q, want an ERROR saying the fleet is down (%s)", r.Err, r.Lines, c.want)
			}
			b, _ := os.ReadFile(logPath)
			if !strings.Contains(string(b), c.want) {
				t.Fatalf("the log does not say why (%s):\n%.3000s", c.want, b)
			}
		})
	}
}
