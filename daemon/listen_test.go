package daemon

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// bound puts the port the kernel picked in a TCP address with port 0, and
// keeps the host as given; a UNIX address is unchanged.
func TestAddressBound(t *testing.T) {
	for _, s := range []string{"127.0.0.1:0", "tcp:localhost:0"} {
		a, err := ParseAddress(s)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := listen(a)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		host, _, _ := net.SplitHostPort(a.Addr)
		want := net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
		if got := a.bound(ln); got.Network != "tcp" || got.Addr != want || got.String() != want {
			t.Errorf("%s: bound %+v (%s), want %s", s, got, got, want)
		}
	}
	a, err := ParseAddress("unix:" + filepath.Join(t.TempDir(), "sock"))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := listen(a)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if got := a.bound(ln); got != a {
		t.Errorf("unix: bound %+v, want %+v", got, a)
	}
}

// A UNIX socket path longer than sun_path holds was refused by the
// kernel's bind as `bind: invalid argument`, which named no cause
// (REFERENCE §7.2); one that fits is taken.
func TestListenPathTooLong(t *testing.T) {
	dir := t.TempDir()
	max := len(syscall.RawSockaddrUnix{}.Path) - 1
	long := filepath.Join(dir, strings.Repeat("x", max-len(dir)))
	_, err := listen(Address{Network: "unix", Addr: long})
	want := fmt.Sprintf("cannot listen on unix:%s: UNIX socket path too long (%d bytes, max %d)", long, len(long), max)
	if err == nil || err.Error() != want {
		t.Fatalf("listen on a path of %d bytes: %v, want %q", len(long), err, want)
	}
	ln, err := listen(Address{Network: "unix", Addr: long[:max]})
	if err != nil {
		t.Fatalf("listen on a path of %d bytes: %v", max, err)
	}
	ln.Close()
}
