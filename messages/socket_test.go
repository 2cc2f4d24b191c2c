package messages

import "testing"

func TestSocketConfigApplyAndAddress(t *testing.T) {
	c := SocketConfig{Name: "web"}
	for _, line := range []string{"socket web host=[::1]", "socket web service=0", "socket web nonblocking=yes", "socket web listen_qsize=64"} {
		st, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		m := st.(SetSocketAttr)
		if c, err = c.Apply(m.Attr, m.Value); err != nil {
			t.Fatal(err)
		}
	}
	if c != (SocketConfig{Name: "web", Host: "::1", Service: "0", Nonblocking: true, Qsize: 64}) {
		t.Fatalf("config %+v", c)
	}
	if got := c.Address("8080"); got != "[::1]:8080" {
		t.Fatalf("address %q", got)
	}
	if got := (SocketConfig{Host: "127.0.0.1"}).Address("80"); got != "127.0.0.1:80" {
		t.Fatalf("address %q", got)
	}
	if got := (SocketConfig{Host: "unix/"}).Address("/run/x.sock"); got != "unix:/run/x.sock" {
		t.Fatalf("address %q", got)
	}
	// unset restores the defaults
	c, _ = c.Apply(SockListenQsize, Value{Unset: true})
	c, _ = c.Apply(SockNonblocking, Value{Unset: true})
	c, _ = c.Apply(SockHost, Value{Unset: true})
	if c != (SocketConfig{Name: "web", Service: "0"}) {
		t.Fatalf("after unsets %+v", c)
	}
}

func TestUsesSocket(t *testing.T) {
	c := NewServiceConfig("s")
	c, _ = c.Apply(SvcTieStdinTo, Value{Str: "a"})
	c, _ = c.Apply(SvcListenSockets, Value{List: []string{"b", "c"}})
	for name, want := range map[string]bool{"a": true, "b": true, "c": true, "d": false, "": false} {
		if got := c.UsesSocket(name); got != want {
			t.Errorf("UsesSocket(%q) = %v", name, got)
		}
	}
}
