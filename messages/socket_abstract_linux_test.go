package messages

import "testing"

// An abstract UNIX socket (service=@NAME, Linux's abstract namespace) has
// no file: user, group and mode, which only a file takes, were accepted
// on it. They are refused at the declaration now (REFERENCE §1.2), and so
// is @NAME given to a socket that has them, or a bare @; the config is
// left unchanged.
func TestAbstractSocketTakesNoFileAttrs(t *testing.T) {
	abs := SocketConfig{Name: "web", Host: "unix/", Service: "@web"}
	c, err := applyLines(t, SocketConfig{Name: "web"}, "socket web host=unix/", "socket web service=@web")
	if err != nil || c != abs || !c.IsAbstract() || c.Address(c.Service) != "unix:@web" {
		t.Fatalf("config %+v %v, want %+v, abstract", c, err, abs)
	}
	withFile := SocketConfig{Name: "web", Host: "unix/", Service: "/run/web.sock", User: "www", Mode: "0640"}
	noHost := SocketConfig{Name: "web", Service: "@web", Group: "www"}
	for _, tc := range []struct {
		from  SocketConfig
		line  string
		error string
	}{
		{abs, "socket web user=www",
			`invalid value for user: "www" (want a UNIX socket with a file: socket web is @web, in the abstract namespace, which has no file to own)`},
		{abs, "socket web group=0",
			`invalid value for group: "0" (want a UNIX socket with a file: socket web is @web, in the abstract namespace, which has no file to own)`},
		{abs, "socket web mode=600",
			`invalid value for mode: "0600" (want a UNIX socket with a file: socket web is @web, in the abstract namespace, which has no file to own)`},
		{withFile, "socket web service=@web",
			`invalid value for service: "@web" (want an absolute path: socket web has user=www, mode=0640, which an abstract socket (@NAME) has no file for (unset them first))`},
		{noHost, "socket web host=unix/",
			`invalid value for host: "unix/" (want an IP address or a host name: socket web has group=www, which an abstract socket (@NAME) has no file for (unset them first))`},
		{abs, "socket web service=@",
			`invalid value for service: "@" (want a name after the @ of socket web's service (an abstract UNIX socket, @NAME))`},
	} {
		got, err := applyLines(t, tc.from, tc.line)
		if err == nil || err.Error() != tc.error {
			t.Errorf("%s: error %v, want %s", tc.line, err, tc.error)
		}
		if got != tc.from {
			t.Errorf("%s: config %+v, want it unchanged", tc.line, got)
		}
	}
	// unsetting them lets the socket move to the abstract namespace
	if c, err = applyLines(t, withFile, "socket web user=", "socket web mode=", "socket web service=@web",
		"socket web user=", "socket web group=", "socket web mode="); err != nil || c != abs {
		t.Fatalf("after unsets: %+v %v, want %+v", c, err, abs)
	}
}
