package actors

import (
	"net"
	"testing"
	"time"
)

// A service declared again without the socket (`service s listen_sockets=`,
// or an apply that moved it to another socket whose restart was refused)
// still runs the process launched with it: that run holds the socket as
// its fd 3 and accepts on it. The unbind must be refused as for any up
// service that uses the socket (REFERENCE §3), not close cfkd's copy and
// leave a listener nobody supervises on the port, which a later bind of
// the same address finds in use.
func TestUnbindRefusedWhileARunOfAFormerDeclarationHoldsIt(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	r.startRunning("s", "listen_sockets=web")
	r.ok("service s listen_sockets=") // takes effect at the next start
	r.fails("command unbind web", "socket 'web' is in use by s")
	if f := r.socketLine("web"); f[3] != "bound" || f[2] != port {
		t.Fatalf("after the refused unbind %q", f)
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
	if err != nil {
		t.Fatalf("the socket was closed by a refused unbind: %v", err)
	}
	c.Close()
	r.shutdownClean()
}

// `sockets` lists the services that use a socket: one declared since
// without it whose run holds it still is one (the unbind names it), and
// so was missing from the listing that an operator reads to find who
// holds the socket.
func TestSocketsListsARunOfAFormerDeclaration(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.bindLoopback("web")
	r.bindLoopback("api")
	r.startRunning("s", "listen_sockets=web")
	r.ok("service s listen_sockets=api") // takes effect at the next start
	if f := r.socketLine("web"); f[4] != "s" {
		t.Fatalf("web's services %q, want s (its run holds the socket)", f[4])
	}
	if f := r.socketLine("api"); f[4] != "s" {
		t.Fatalf("api's services %q, want s (declared with it)", f[4])
	}
	r.shutdownClean()
}
