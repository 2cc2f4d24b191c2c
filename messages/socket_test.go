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

// user, group and mode are a UNIX socket's file's: set on a socket
// declared on TCP, or a TCP host given to a socket that has them, is an
// error at the declaration (REFERENCE §1.2), and the config is unchanged.
func TestSocketFileAttrsOnlyForUnix(t *testing.T) {
	c, err := applyLines(t, SocketConfig{Name: "web"}, "socket web user=www", "socket web group=65534", "socket web mode=640",
		"socket web host=unix/", "socket web service=/run/app.sock")
	if err != nil {
		t.Fatal(err)
	}
	want := SocketConfig{Name: "web", Host: "unix/", Service: "/run/app.sock", User: "www", Group: "65534", Mode: "0640"}
	if c != want {
		t.Fatalf("config %+v, want %+v", c, want)
	}
	if got := DiffSocket(SocketConfig{Name: "web", Host: "unix/", Service: "/run/app.sock"}, c); len(got) != 3 ||
		got[0] != "user" || got[1] != "group" || got[2] != "mode" {
		t.Fatalf("diff %q, want user, group, mode", got)
	}
	for _, tc := range []struct {
		from  SocketConfig
		line  string
		error string
	}{
		{SocketConfig{Name: "web", Host: "127.0.0.1"}, "socket web user=www",
			`invalid value for user: "www" (want a UNIX socket (host=unix/): socket web is on 127.0.0.1, which has no file to own)`},
		{SocketConfig{Name: "web", Host: "::1"}, "socket web group=nogroup",
			`invalid value for group: "nogroup" (want a UNIX socket (host=unix/): socket web is on ::1, which has no file to own)`},
		{SocketConfig{Name: "web", Host: "localhost"}, "socket web mode=0600",
			`invalid value for mode: "0600" (want a UNIX socket (host=unix/): socket web is on localhost, which has no file to own)`},
		{want, "socket web host=127.0.0.1",
			`invalid value for host: "127.0.0.1" (want unix/: socket web has user=www, group=65534, mode=0640, which only a UNIX socket takes (unset them first))`},
	} {
		got, err := applyLines(t, tc.from, tc.line)
		if err == nil || err.Error() != tc.error {
			t.Errorf("%s: error %v, want %s", tc.line, err, tc.error)
		}
		if got != tc.from {
			t.Errorf("%s: config %+v, want it unchanged", tc.line, got)
		}
	}
	// unsetting them lets the socket move to TCP
	if c, err = applyLines(t, c, "socket web user=", "socket web group=", "socket web mode=", "socket web host=127.0.0.1",
		"socket web user="); err != nil || c.fileAttrs() != nil {
		t.Fatalf("after unsets: %+v %v", c, err)
	}
}

// applyLines applies the socket declarations lines to c, up to the first
// error.
func applyLines(t *testing.T, c SocketConfig, lines ...string) (SocketConfig, error) {
	t.Helper()
	for _, line := range lines {
		st, err := Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		m := st.(SetSocketAttr)
		if c, err = c.Apply(m.Attr, m.Value); err != nil {
			return c, err
		}
	}
	return c, nil
}
