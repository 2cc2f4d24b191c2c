package sockets

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// REFERENCE §1.2: `::` takes IPv4 on its port too (the system's default),
// so 0.0.0.0 on that port is in use; with ipv6only=1 it takes IPv6 only
// (IPV6_V6ONLY set before the bind) and both bind.
func TestIPv6OnlyLeavesIPv4ToAnotherSocket(t *testing.T) {
	if v, err := os.ReadFile("/proc/sys/net/ipv6/bindv6only"); err == nil && len(v) > 0 && v[0] == '1' {
		t.Skip("this host's net.ipv6.bindv6only is 1: :: takes no IPv4 anyway")
	}
	both, err := bindCfg(t, messages.SocketConfig{Name: "v6", Host: "::", Service: "0"})
	if err != nil {
		if errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Skipf("no IPv6 here: %v", err)
		}
		t.Fatal(err)
	}
	port := both.Service
	if _, err := bindCfg(t, messages.SocketConfig{Name: "v4", Host: "0.0.0.0", Service: port}); !errors.Is(err, syscall.EADDRINUSE) {
		both.Close()
		t.Fatalf("0.0.0.0:%s beside [::]:%s: %v, want address already in use", port, port, err)
	}
	both.Close()
	only := mustBind(t, messages.SocketConfig{Name: "v6", Host: "::", Service: port, IPv6Only: true})
	var v6only int
	raw, _ := only.File.SyscallConn()
	raw.Control(func(fd uintptr) { v6only, err = unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY) })
	if err != nil || v6only != 1 {
		t.Fatalf("IPV6_V6ONLY %d (%v), want 1", v6only, err)
	}
	mustBind(t, messages.SocketConfig{Name: "v4", Host: "0.0.0.0", Service: port})
}
