package actors

import (
	"io"
	"os"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// The wildcard sockets of IPv6 (REFERENCE §2.9, §3): a ready=tcp: check
// on 127.0.0.1 reaches a socket on [::] of its port, which takes IPv4
// too, but not one declared ipv6only=1, which leaves IPv4 to a socket on
// 0.0.0.0 of the same port; [::1] reaches that one. Skipped where there
// is no IPv6, or :: takes no IPv4 (bindv6only).
func TestReadyTCPOnAHeldIPv6Socket(t *testing.T) {
	if v, err := os.ReadFile("/proc/sys/net/ipv6/bindv6only"); err != nil || len(v) == 0 || v[0] != '0' {
		t.Skipf("net.ipv6.bindv6only is not 0 here (%q, %v): :: takes no IPv4", v, err)
	}
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	r.ok("socket a6 host=::", "socket a6 service=0", "socket a6 ipv6only=1")
	if rep := r.exec("command bind a6"); rep.Err != nil {
		t.Skipf("no IPv6 here: %v", rep.Err)
	}
	port := r.socketLine("a6")[2]
	r.ok("socket b4 host=0.0.0.0", "socket b4 service="+port, "command bind b4",
		"socket dual host=::", "socket dual service=0", "command bind dual")
	dual := r.socketLine("dual")[2]
	services := map[string]string{
		"v4":   "127.0.0.1:" + port, // b4's, not a6's
		"v6":   "[::1]:" + port,     // a6's
		"dual": "127.0.0.1:" + dual, // dual's
	}
	for name, addr := range services {
		r.ok("service "+name+" cmd=sleep 100", "service "+name+" startwait_secs=0.05", "service "+name+" ready=tcp:"+addr)
		r.okDone("command start service "+name, 1)
	}
	for name := range services {
		r.expectSeq(name, starting, running)
	}
	expectHeldWarnings(t, hook,
		"dual: ready=tcp:127.0.0.1:"+dual+" is socket 'dual', "+heldTail,
		"v4: ready=tcp:127.0.0.1:"+port+" is socket 'b4', "+heldTail,
		"v6: ready=tcp:[::1]:"+port+" is socket 'a6', "+heldTail)
}
