package ctl

import (
	"net"
	"path/filepath"
	"testing"
)

// An address whose path is a UNIX socket of another kind than cfkd's
// admin socket, a stream one (cfkd's own HOME/notify, a datagram socket
// next to HOME/sock, or some other program's), is refused by the kernel
// with EPROTOTYPE: the third line says what the path is and what to give,
// where it said "connect: protocol wrong type for socket".
func TestConnectToASocketOfAnotherKind(t *testing.T) {
	home := t.TempDir()
	notify := filepath.Join(home, "notify")
	dg, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer dg.Close()
	other := filepath.Join(home, "app.sock")
	dg2, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: other, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer dg2.Close()
	cases := []struct{ addr, third string }{
		{"unix:" + notify, "cfkctl: " + notify + " is a datagram socket, cfkd's notify socket perhaps, not its admin socket: cfkd's socket is unix:" + home + "/sock if that is cfkd's --home\n"},
		{"unix:" + other, "cfkctl: " + other + " is a datagram socket, not a stream socket as cfkd's admin socket is: give cfkd's admin socket (unix:HOME/sock for cfkd --home HOME)\n"},
	}
	// a seqpacket socket is not probed (a connect would reach its
	// program): it is said to be of another kind (Linux's; macOS has none)
	packet := filepath.Join(home, "packet.sock")
	if sp, err := net.Listen("unixpacket", packet); err == nil {
		defer sp.Close()
		cases = append(cases, struct{ addr, third string }{"unix:" + packet,
			"cfkctl: " + packet + " is a socket of another kind than cfkd's admin socket, a stream one: give cfkd's admin socket (unix:HOME/sock for cfkd --home HOME)\n"})
	}
	for _, tc := range cases {
		r := runCtl(t, nil, runCfg{}, "-a", tc.addr, "list")
		want := "Cannot get a socket for '" + tc.addr + "'\n" + maybeStart + tc.third
		if r.code != ExitError || r.stdout != "" || r.stderr != want {
			t.Errorf("-a %s: code %d stdout %q stderr %q; want stderr %q", tc.addr, r.code, r.stdout, r.stderr, want)
		}
	}
}
