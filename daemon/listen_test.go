package daemon

import (
	"net"
	"path/filepath"
	"strconv"
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
