package ctl

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

const maybeStart = "Maybe you need to start cfkd?\n"

func TestConnectionFailure(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-sock")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name string
		cfg  runCfg
		args []string
		addr string // as printed
	}{
		{"default address", runCfg{}, []string{"status"}, "unix:/home/test/.controlfreak/sock"},
		{"HOME is used", runCfg{env: map[string]string{"HOME": dir}}, []string{"list"}, "unix:" + dir + "/.controlfreak/sock"},
		{"CFKCTL_ADDRESS", runCfg{env: map[string]string{"CFKCTL_ADDRESS": missing}}, []string{"status"}, missing},
		{"--address as typed", runCfg{env: map[string]string{"CFKCTL_ADDRESS": "/elsewhere"}}, []string{"--address", "unix:" + missing, "status"}, "unix:" + missing},
		{"-a", runCfg{}, []string{"version", "-a", missing}, missing},
		{"tcp refused", runCfg{}, []string{"-a", closedPort, "list"}, closedPort},
		{"service verb", runCfg{}, []string{"start", "svc1"}, "unix:/home/test/.controlfreak/sock"},
		{"load", runCfg{stdin: "service a cmd=x\n"}, []string{"load", "-"}, "unix:/home/test/.controlfreak/sock"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCtl(t, nil, tc.cfg, tc.args...)
			want := "Cannot get a socket for '" + tc.addr + "'\n" + maybeStart
			if r.code != ExitError || r.stdout != "" || r.stderr != want {
				t.Fatalf("got code %d stdout %q stderr %q; want stderr %q", r.code, r.stdout, r.stderr, want)
			}
		})
	}
	t.Run("no HOME", func(t *testing.T) {
		r := runCtl(t, nil, runCfg{env: map[string]string{"HOME": ""}}, "status")
		want := "Cannot get a socket for 'unix:/.controlfreak/sock'\n" + maybeStart +
			"cfkctl: $HOME is not set: give cfkd's address with -a ADDRESS or $CFKCTL_ADDRESS\n"
		if r.code != ExitError || r.stderr != want {
			t.Fatalf("got code %d stderr %q; want %q", r.code, r.stderr, want)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := runCtl(t, nil, runCfg{env: map[string]string{"CFKCTL_ADDRESS": missing}}, "--json", "status")
		wantOut := `{"ok":false,"error":"Cannot get a socket for '` + missing + `'\nMaybe you need to start cfkd?"}` + "\n"
		if r.code != ExitError || r.stdout != wantOut || r.stderr != "Cannot get a socket for '"+missing+"'\n"+maybeStart {
			t.Fatalf("got %+v", r)
		}
	})
}

func TestDefaultAddressIsUsed(t *testing.T) {
	home, err := os.MkdirTemp("", "cfkhome")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	if err := os.Mkdir(filepath.Join(home, ".controlfreak"), 0o700); err != nil {
		t.Fatal(err)
	}
	f := newFakeServerAt(t, filepath.Join(home, ".controlfreak", "sock"), map[string]string{"command list": ok("svc1")})
	r := runCtl(t, nil, runCfg{env: map[string]string{"HOME": home}}, "list")
	if r.code != 0 || r.stdout != "svc1\n" || r.stderr != "" {
		t.Fatalf("got %+v", r)
	}
	if got := f.waitRequests(t, 2); !reflect.DeepEqual(got, []string{"command list", "exit"}) {
		t.Fatalf("requests %q", got)
	}
}

func TestAddressForms(t *testing.T) {
	replies := map[string]string{"command list": ok("svc1")}
	unix := newFakeServer(t, replies)
	tcp := newTCPFakeServer(t, replies)
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, unix.addr)
	if err != nil || !strings.Contains(rel, "/") || strings.Contains(rel, ":") {
		rel = "" // no usable relative path from here
	}
	for _, addr := range []string{unix.addr, "unix:" + unix.addr, rel, tcp.addr, tcp.addr + "/"} {
		if addr == "" {
			continue
		}
		r := runCtl(t, nil, runCfg{}, "-a", addr, "list")
		if r.code != 0 || r.stdout != "svc1\n" {
			t.Errorf("-a %s: got %+v", addr, r)
		}
	}
}

func TestTimeout(t *testing.T) {
	f := newFakeServer(t, map[string]string{})
	f.hang["command status all"] = true
	r := runCtl(t, f, runCfg{}, "--timeout", "100ms", "status")
	want := "cfkctl: reading from cfkd: no answer within 100ms (see --timeout)\n"
	if r.code != ExitError || r.stdout != "" || r.stderr != want {
		t.Fatalf("got %+v, want stderr %q", r, want)
	}
}

func TestClosedMidReply(t *testing.T) {
	f := newFakeServer(t, map[string]string{"command status all": "svc1\tstopped\n"})
	f.close["command status all"] = true
	r := runCtl(t, f, runCfg{}, "status")
	want := "cfkctl: reading from cfkd: cfkd closed the connection\n"
	if r.code != ExitError || r.stdout != "" || r.stderr != want {
		t.Fatalf("got %+v, want stderr %q", r, want)
	}
}

// An address that is no cfkd's but a web server's (cfkd's own --http
// port given to -a) answers a request with HTTP and closes: cfkctl says
// that a line no cfkd sends came, and asks whether the address is cfkd's,
// where it said "cfkd closed the connection" (and asked the web server
// `command upgraded` on a new connection).
func TestForeignPeerIsSaid(t *testing.T) {
	f := newFakeServer(t, map[string]string{"command status all": "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n400 Bad Request"})
	f.close["command status all"] = true
	r := runCtl(t, f, runCfg{}, "status")
	want := "cfkctl: reading from cfkd: the connection closed after a line no cfkd sends (\"HTTP/1.1 400 Bad Request\"): is '" +
		f.addr + "' cfkd's admin socket?\n"
	if r.code != ExitError || r.stdout != "" || r.stderr != want {
		t.Fatalf("got %+v, want stderr %q", r, want)
	}
	if got := f.waitRequests(t, 1); len(got) != 1 || f.connections() != 1 {
		t.Fatalf("requests %q over %d connections, want the status alone", got, f.connections())
	}
}

func TestOneConnectionManyRequests(t *testing.T) {
	f := newFakeServer(t, map[string]string{ // a cfkd that takes one selector a request
		"command up service a service b tag c": fail("service selector takes exactly 1 argument: name"),
		"command up service a":                 ok("done 1"),
		"command up service b":                 ok("done 1"),
		"command up tag c":                     ok("done 2"),
		"command status tag c":                 ok("c1\tstopped\t", "c2\tstopped\t"),
	})
	r := runCtl(t, f, runCfg{}, "up", "a", "b", "@c")
	if r.code != 0 {
		t.Fatalf("got %+v", r)
	}
	want := []string{"command up service a service b tag c", "command status tag c", "command up service a", "command up service b",
		"command up tag c", "exit"}
	if got := f.waitRequests(t, len(want)); !reflect.DeepEqual(got, want) || f.connections() != 1 {
		t.Fatalf("requests %q over %d connections", got, f.connections())
	}
}

func TestVersionFlag(t *testing.T) {
	f := newFakeServer(t, nil)
	r := runCtl(t, f, runCfg{}, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "cfkctl ") || r.stderr != "" || f.connections() != 0 {
		t.Fatalf("got %+v, %d connections", r, f.connections())
	}
	// a test binary has no module version: the release cfkd prints
	// (cfkd --version), never "(development build)" beside cfkd's number
	if want := "cfkctl " + messages.Version + "\n"; r.stdout != want {
		t.Fatalf("got %q, want %q", r.stdout, want)
	}
	Version = "9.9.9"
	defer func() { Version = "" }()
	if r := runCtl(t, nil, runCfg{}, "status", "--version"); r.stdout != "cfkctl 9.9.9\n" {
		t.Fatalf("got %+v", r)
	}
}

// A dial that failed for another reason than "cfkd is not running" (no
// socket, nothing listening) said only the original's two lines, "Maybe
// you need to start cfkd?", to a user whom cfkd's home denied, or whose
// --timeout ran out. The cause follows on a third line now.
func TestConnectErrorSaysTheCause(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", errno)}
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{dial(syscall.EACCES), "dial unix: connect: permission denied"},
		{dial(syscall.ENOENT), ""},
		{dial(syscall.ECONNREFUSED), ""},
	} {
		if got := (&connectError{addr: "unix:/x/sock", err: tc.err}).cause(); got != tc.want {
			t.Errorf("cause of %v: %q, want %q", tc.err, got, tc.want)
		}
	}
	var stderr bytes.Buffer
	e := &env{stdout: io.Discard, stderr: &stderr, isTerminal: func(io.Writer) bool { return false }}
	if code := report(e, &options{}, nil, &connectError{addr: "unix:/x/sock", err: dial(syscall.EACCES)}); code != ExitError {
		t.Fatalf("exit %d", code)
	}
	if want := "Cannot get a socket for 'unix:/x/sock'\n" + maybeStart + "cfkctl: dial unix: connect: permission denied\n"; stderr.String() != want {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
	// --json: the error holds the cause too
	var stdout bytes.Buffer
	stderr.Reset()
	e.stdout = &stdout
	report(e, &options{json: true}, nil, &connectError{addr: "unix:/x/sock", err: dial(syscall.EACCES)})
	if want := `{"ok":false,"error":"Cannot get a socket for 'unix:/x/sock'\nMaybe you need to start cfkd?\ndial unix: connect: permission denied"}` + "\n"; stdout.String() != want {
		t.Fatalf("--json stdout %q, want %q", stdout.String(), want)
	}
	if !strings.HasSuffix(stderr.String(), "cfkctl: dial unix: connect: permission denied\n") {
		t.Fatalf("--json stderr %q", stderr.String())
	}
}
