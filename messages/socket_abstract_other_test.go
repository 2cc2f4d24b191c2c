//go:build !linux

package messages

import (
	"runtime"
	"testing"
)

// The abstract namespace of UNIX sockets (@NAME) is Linux's: elsewhere a
// UNIX socket's @NAME is refused at the declaration (REFERENCE §1.2),
// rather than bound as a file named @NAME in cfkd's directory.
func TestAbstractSocketRefusedOffLinux(t *testing.T) {
	c := SocketConfig{Name: "web", Host: "unix/"}
	got, err := c.Apply(SockService, Value{Str: "@web"})
	want := `invalid value for service: "@web" (want an absolute path: socket web is @web, in the abstract namespace of UNIX sockets, which is Linux's, not ` +
		runtime.GOOS + `'s)`
	if err == nil || err.Error() != want || got != c {
		t.Fatalf("service=@web: %+v %v, want %s, unchanged", got, err, want)
	}
}
