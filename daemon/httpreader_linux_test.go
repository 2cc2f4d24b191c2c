package daemon

import (
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/peeruid"
	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/rights"
)

// TestRunAsHolder is the client of TestHTTPReaderUsers, run as another
// user: it connects to HOLDER_ADDR, sends a byte, says so, and keeps the
// connection until its stdin closes.
func TestRunAsHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	c, err := net.Dial("tcp", os.Getenv("HOLDER_ADDR"))
	if err != nil {
		testkit.RunAsOutput("dial: " + err.Error())
		return
	}
	c.Write([]byte("x"))
	testkit.RunAsOutput("connected")
	io.Copy(io.Discard, os.Stdin)
	c.Close()
}

// ends are the two ends of an accepted connection, as an HTTP handler
// knows them.
func ends(c net.Conn) (local, remote netip.AddrPort) {
	return c.LocalAddr().(*net.TCPAddr).AddrPort(), c.RemoteAddr().(*net.TCPAddr).AddrPort()
}

// Who reads the HTTP listener without a token, from the users' side: a
// connection of root (cfkd's user here) reads; one of nobody does not,
// and is told who may; nobody reads once its group is --admin-group's,
// as on the UNIX socket (REFERENCE §10.1).
func TestHTTPReaderUsers(t *testing.T) {
	testkit.RequireRoot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rule := &actors.ConsolePolicy{AdminUIDs: adminUIDs()}
	read := httpReader(rule, peeruid.OfAddrs)
	withGroup := httpReader(&actors.ConsolePolicy{AdminUIDs: adminUIDs(),
		Groups: []actors.GroupRight{{GID: 65534, Name: "nogroup", Level: rights.Read}}}, peeruid.OfAddrs)

	accept := func() net.Conn {
		t.Helper()
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		return c
	}

	mine, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	mine.Write([]byte("x"))
	if err := read(ends(accept())); err != nil {
		t.Errorf("root's connection: %v", err)
	}

	child := testkit.StartAs(t, 65534, 65534, "TestRunAsHolder", "HOLDER_ADDR="+ln.Addr().String())
	c := accept()
	if l := <-child.Lines; l != "connected" {
		t.Fatalf("nobody's client: %q", l)
	}
	err = read(ends(c))
	if err == nil || !strings.Contains(err.Error(), "uid 65534 may not read without a token: only root may") {
		t.Errorf("nobody's connection: %v", err)
	}
	if err := withGroup(ends(c)); err != nil {
		t.Errorf("nobody's connection, its group an admin group: %v", err)
	}
	child.Stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("nobody's client: %v\n%s", err, child.Stderr())
	}

	if err := read(netip.MustParseAddrPort("127.0.0.1:80"), netip.MustParseAddrPort("10.0.0.7:4000")); err == nil ||
		!strings.Contains(err.Error(), "10.0.0.7 is not on loopback: from there only a token reads") {
		t.Errorf("a peer not on loopback: %v", err)
	}
}
