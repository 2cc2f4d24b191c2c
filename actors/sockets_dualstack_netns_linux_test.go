package actors

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// inNetnsVar in the environment says this test binary runs in a network
// namespace of its own whose net.ipv6.bindv6only is 1 (below).
const inNetnsVar = "CFK_TEST_V6ONLY_NETNS"

// REFERENCE §3: on a system whose `::` takes IPv6 only (FreeBSD, Linux
// with net.ipv6.bindv6only=1), an IPv4 socket and `::` on one port do not
// conflict, so a bind that fails `address already in use` beside one of
// cfkd's sockets of the other family fails for another program, and the
// error must not blame cfkd's socket or ask for ipv6only=1. The test runs
// itself again in a network namespace of its own (unshare -n, as root)
// where it sets bindv6only to 1, and holds each port with a listener of
// its own, as the other program.
func TestDualStackHintFollowsTheSystemDefault(t *testing.T) {
	if os.Getenv(inNetnsVar) == "" {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			t.Skipf("no unshare(1): %v", err)
		}
		if err := exec.Command(unshare, "-n", "true").Run(); err != nil {
			t.Skipf("cannot make a network namespace here (not root?): %v", err)
		}
		cmd := exec.Command(unshare, "-n", self, "-test.run=^TestDualStackHintFollowsTheSystemDefault$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), inNetnsVar+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestDualStackHintFollowsTheSystemDefault") {
			t.Fatalf("in a network namespace with bindv6only=1: %v\n%s", err, out)
		}
		return
	}
	if err := os.WriteFile("/proc/sys/net/ipv6/bindv6only", []byte("1"), 0); err != nil {
		t.Skipf("cannot set bindv6only in this namespace: %v", err)
	}
	r := newRig(t)
	// another program's IPv6 socket on [::]:P, beside cfkd's 0.0.0.0:P
	r.ok("socket v4 host=0.0.0.0", "socket v4 service=0", "command bind v4")
	port := r.socketLine("v4")[2]
	theirs6, err := net.Listen("tcp6", "[::]:"+port)
	if err != nil {
		t.Skipf("no IPv6 here: %v", err)
	}
	r.ok("socket v6 host=::", "socket v6 service="+port)
	r.fails("command bind v6", "cannot bind 'v6': bind [::]:"+port+": address already in use")
	theirs6.Close()
	r.ok("command bind v6") // the default took IPv6 only: both bound
	r.ok("command unbind v4", "socket v4 service="+port)

	// another program's IPv4 socket on 0.0.0.0:P, beside cfkd's [::]:P
	theirs4, err := net.Listen("tcp4", "0.0.0.0:"+port)
	if err != nil {
		t.Fatalf("0.0.0.0:%s beside a [::] that takes IPv6 only: %v", port, err)
	}
	defer theirs4.Close()
	r.fails("command bind v4", "cannot bind 'v4': bind 0.0.0.0:"+port+": address already in use")
	r.shutdownClean()
}
