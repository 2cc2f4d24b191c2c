package proxyproc

import (
	"slices"
	"testing"
)

func TestChildEnv(t *testing.T) {
	base := []string{"PATH=/bin", "_CFK_COMMAND_FD=3", "_CFK_SOCK_web=6", "FOO=old", "CONTROL_FREAK_SERVICE=stale", "BAD"}
	got := ChildEnv(base, map[string]string{"FOO": "new", "BAR": "1"}, "svc")
	want := []string{"PATH=/bin", "FOO=new", "CONTROL_FREAK_SERVICE=svc", "BAR=1", "CONTROL_FREAK_ENABLED=1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
