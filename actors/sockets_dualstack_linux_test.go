package actors

import (
	"os"
	"strings"
	"testing"
)

// REFERENCE §1.2, §3: `::` without ipv6only=1 takes IPv4 on its port too,
// so an IPv4 socket of cfkd's on that port fails its bind `address
// already in use`, whichever is bound first; the error says which socket
// holds it and what to declare. With ipv6only=1 both bind.
func TestDualStackConflictSaysWhy(t *testing.T) {
	r, port := dualStackRig(t, "v6", "socket v6 host=::", "socket v6 service=0")
	r.ok("socket v6 service="+port, "socket v4 host=0.0.0.0", "socket v4 service="+port)
	r.fails("command bind v4", "cannot bind 'v4': bind 0.0.0.0:"+port+": address already in use (socket 'v6' is bound on [::]:"+
		port+", which takes IPv4 too: declare 'socket v6 ipv6only=1', then unbind it and bind it again)")
	r.fails("socket v4 ipv6only=1",
		`invalid value for ipv6only: "1" (want an IPv6 socket: socket v4 is on 0.0.0.0, an IPv4 address, which takes no IPv6)`)

	// the other way round: the IPv4 socket first
	r.ok("command unbind v6", "command bind v4")
	r.fails("command bind v6", "cannot bind 'v6': bind [::]:"+port+": address already in use (socket 'v4' is bound on 0.0.0.0:"+
		port+", and [::]:"+port+" without ipv6only=1 takes IPv4 too: declare 'socket v6 ipv6only=1')")

	r.ok("socket v6 ipv6only=1", "command bind v6")
	if f6, f4 := r.socketLine("v6"), r.socketLine("v4"); f6[3] != "bound" || f4[3] != "bound" || f6[2] != port || f4[2] != port {
		t.Fatalf("sockets %q %q, want both bound on %s", f6, f4, port)
	}
	r.shutdownClean()
}

// The hint is only given when ipv6only=1 would make the bind succeed: a
// `::` whose port another IPv6 socket of cfkd's holds too ([::1] with
// ipv6only=1, beside 0.0.0.0) fails for that one, ipv6only or not: its
// error names that socket, and no declaration that would not help.
func TestDualStackHintNotWhenAnIPv6SocketHoldsThePort(t *testing.T) {
	r, port := dualStackRig(t, "lo6", "socket lo6 host=::1", "socket lo6 ipv6only=1", "socket lo6 service=0")
	// the port was free on ::1 only: another process may hold it on
	// 0.0.0.0 (a test of a package run beside), then lo6 takes another
	for try := 1; ; try++ {
		r.ok("socket v4 host=0.0.0.0", "socket v4 service="+port)
		rep := r.exec("command bind v4")
		if rep.Err == nil {
			break
		}
		if try == 5 || !strings.Contains(rep.Err.Error(), "address already in use") {
			r.shutdownClean()
			t.Fatalf("bind v4 on a port lo6 holds on ::1 only (try %d): %v", try, rep.Err)
		}
		r.ok("command unbind lo6", "command bind lo6")
		port = r.socketLine("lo6")[2]
	}
	r.ok("socket v6 host=::", "socket v6 service="+port)
	r.fails("command bind v6", "cannot bind 'v6': bind [::]:"+port+": address already in use (socket 'lo6' is bound on [::1]:"+port+")")
	r.ok("socket v6 ipv6only=1")
	r.fails("command bind v6", "cannot bind 'v6': bind [::]:"+port+": address already in use (socket 'lo6' is bound on [::1]:"+port+")")
	r.shutdownClean()
}

// The hint compares the addresses the sockets are bound on, so a socket
// declared with a host name (resolved at its bind) gets it too: here
// localhost, when it resolves to 127.0.0.1.
func TestDualStackHintWithAHostName(t *testing.T) {
	r, port := dualStackRig(t, "v6", "socket v6 host=::", "socket v6 service=0")
	r.ok("socket v6 service="+port, "socket lh host=localhost", "socket lh service="+port)
	rep := r.exec("command bind lh")
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "bind 127.0.0.1:"+port+": ") {
		r.shutdownClean()
		t.Skipf("localhost is not 127.0.0.1 here: %v", rep.Err)
	}
	if want := "cannot bind 'lh': bind 127.0.0.1:" + port + ": address already in use (socket 'v6' is bound on [::]:" +
		port + ", which takes IPv4 too: declare 'socket v6 ipv6only=1', then unbind it and bind it again)"; rep.Err.Error() != want {
		t.Fatalf("bind lh: %v\nwant %s", rep.Err, want)
	}
	r.ok("command unbind v6", "command bind lh")
	r.fails("command bind v6", "cannot bind 'v6': bind [::]:"+port+": address already in use (socket 'lh' is bound on localhost:"+
		port+", and [::]:"+port+" without ipv6only=1 takes IPv4 too: declare 'socket v6 ipv6only=1')")
	r.shutdownClean()
}

// A socket on :: declared ipv6only=1 since its bind still takes IPv4 (the
// declaration applies at its next bind, §1.2): the hint says to bind it
// again, unbinding it first, not to declare what is declared (nor to
// bind a socket that is bound, which only answers that it is).
func TestDualStackHintWhenIPv6OnlyDeclaredSinceTheBind(t *testing.T) {
	r, port := dualStackRig(t, "v6", "socket v6 host=::", "socket v6 service=0")
	r.ok("socket v6 service="+port, "socket v6 ipv6only=1", "socket v4 host=0.0.0.0", "socket v4 service="+port)
	r.fails("command bind v4", "cannot bind 'v4': bind 0.0.0.0:"+port+": address already in use (socket 'v6' is bound on [::]:"+
		port+", which takes IPv4 too, as it was bound before its ipv6only=1: unbind it and bind it again)")
	r.ok("command unbind v6", "command bind v6", "command bind v4")
	r.shutdownClean()
}

// dualStackRig is the start of the tests of the dual-stack hint: skipped
// where :: takes no IPv4 (bindv6only) or there is no IPv6, a rig with the
// socket name declared by decl and bound, and its port.
func dualStackRig(t *testing.T, name string, decl ...string) (*rig, string) {
	t.Helper()
	if v, err := os.ReadFile("/proc/sys/net/ipv6/bindv6only"); err != nil || len(v) == 0 || v[0] != '0' {
		t.Skipf("net.ipv6.bindv6only is not 0 here (%q, %v): :: takes no IPv4", v, err)
	}
	t.Parallel()
	r := newRig(t)
	r.ok(decl...)
	if rep := r.exec("command bind " + name); rep.Err != nil {
		r.shutdownClean()
		t.Skipf("no IPv6 here: %v", rep.Err)
	}
	return r, r.socketLine(name)[2]
}
