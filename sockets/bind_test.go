package sockets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// bindCfg resolves and binds cfg, as the socket actor does.
func bindCfg(t *testing.T, cfg messages.SocketConfig) (*Listener, error) {
	t.Helper()
	tg, err := resolve(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	return listen(cfg, tg)
}

func mustBind(t *testing.T, cfg messages.SocketConfig) *Listener {
	t.Helper()
	l, err := bindCfg(t, cfg)
	if err != nil {
		t.Fatalf("bind %+v: %v", cfg, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// fdFlags returns the file status flags (O_NONBLOCK...) and the fd flags
// (FD_CLOEXEC) of f, without going through f.Fd's bookkeeping.
func fdFlags(t *testing.T, f *os.File) (status, fd int) {
	t.Helper()
	raw, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var e1, e2 error
	raw.Control(func(d uintptr) {
		status, e1 = unix.FcntlInt(d, unix.F_GETFL, 0)
		fd, e2 = unix.FcntlInt(d, unix.F_GETFD, 0)
	})
	if e1 != nil || e2 != nil {
		t.Fatal(e1, e2)
	}
	return status, fd
}

func TestTCPPortZeroIsResolvedAndAccepts(t *testing.T) {
	l := mustBind(t, messages.SocketConfig{Name: "web", Host: "127.0.0.1", Service: "0"})
	port, err := strconv.Atoi(l.Service)
	if err != nil || port == 0 {
		t.Fatalf("service %q: the real port, please", l.Service)
	}
	c, err := net.Dial("tcp", "127.0.0.1:"+l.Service)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	status, fd := fdFlags(t, l.File)
	if fd&unix.FD_CLOEXEC == 0 {
		t.Error("the listening fd is not close-on-exec")
	}
	if status&unix.O_NONBLOCK != 0 {
		t.Error("nonblocking not asked, yet O_NONBLOCK is set")
	}
	if got, want := backlogOf(t, l.File), somaxconn(); got != want {
		t.Errorf("backlog %d, want SOMAXCONN %d", got, want)
	}
	v, err := unix.GetsockoptInt(int(l.File.Fd()), unix.SOL_SOCKET, unix.SO_REUSEADDR)
	if err != nil || v == 0 {
		t.Errorf("SO_REUSEADDR %d %v", v, err)
	}
}

func TestNonblockingAndBacklogAsDeclared(t *testing.T) {
	l := mustBind(t, messages.SocketConfig{Name: "web", Host: "127.0.0.1", Service: "0", Nonblocking: true, Qsize: 7})
	// Fd is what the launcher calls: it must not change the mode
	_ = l.File.Fd()
	if status, _ := fdFlags(t, l.File); status&unix.O_NONBLOCK == 0 {
		t.Fatal("nonblocking=1 but O_NONBLOCK is not set")
	}
	if got := backlogOf(t, l.File); got != 7 {
		t.Fatalf("backlog %d, want 7", got)
	}
}

func TestIPv6(t *testing.T) {
	l, err := bindCfg(t, messages.SocketConfig{Name: "v6", Host: "::1", Service: "0"})
	if err != nil {
		if errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", "[::1]:"+l.Service)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestAddressInUse(t *testing.T) {
	l := mustBind(t, messages.SocketConfig{Name: "a", Host: "127.0.0.1", Service: "0"})
	_, err := bindCfg(t, messages.SocketConfig{Name: "b", Host: "127.0.0.1", Service: l.Service})
	// the error names the address, resolved: a host name is looked up
	// only at the bind
	if !errors.Is(err, syscall.EADDRINUSE) || err.Error() != "bind 127.0.0.1:"+l.Service+": address already in use" {
		t.Fatalf("second bind: %v", err)
	}
	if _, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", "localhost"); err == nil {
		_, err = bindCfg(t, messages.SocketConfig{Name: "c", Host: "localhost", Service: l.Service})
		if err == nil || err.Error() != "bind 127.0.0.1:"+l.Service+": address already in use" {
			t.Fatalf("bind by host name: %v", err)
		}
	}
	// once closed, the port is free again (SO_REUSEADDR)
	l.Close()
	l2 := mustBind(t, messages.SocketConfig{Name: "b", Host: "127.0.0.1", Service: l.Service})
	if l2.Service != l.Service {
		t.Fatalf("port %s, want %s", l2.Service, l.Service)
	}
}

func TestResolveNames(t *testing.T) {
	ctx := context.Background()
	tg, err := resolve(ctx, messages.SocketConfig{Name: "h", Host: "localhost", Service: "8080"})
	if err != nil {
		t.Fatal(err)
	}
	if !tg.ip.IsLoopback() || tg.port != 8080 {
		t.Fatalf("localhost:8080 → %v", tg)
	}
	if _, err := net.LookupPort("tcp", "http"); err != nil {
		t.Skipf("no service database here: %v", err)
	}
	tg, err = resolve(ctx, messages.SocketConfig{Name: "h", Host: "127.0.0.1", Service: "http"})
	if err != nil || tg.port != 80 {
		t.Fatalf("http → %v %v", tg, err)
	}
	for _, svc := range []string{"no-such-service-here", "65536", "-1"} {
		if _, err := resolve(ctx, messages.SocketConfig{Name: "h", Host: "127.0.0.1", Service: svc}); err == nil {
			t.Errorf("service %q resolved", svc)
		}
	}
	if needsLookup(messages.SocketConfig{Host: "127.0.0.1", Service: "80"}) || !needsLookup(messages.SocketConfig{Host: "localhost", Service: "80"}) ||
		!needsLookup(messages.SocketConfig{Host: "::1", Service: "http"}) || needsLookup(messages.SocketConfig{Host: "unix/", Service: "/x"}) {
		t.Error("needsLookup")
	}
}

func TestMissingAttributes(t *testing.T) {
	for cfg, want := range map[messages.SocketConfig]string{
		{Name: "w", Service: "80"}:                   "no host (socket w host=IP|unix/)",
		{Name: "w", Host: "127.0.0.1"}:               "no service (socket w service=PORT|PATH)",
		{Name: "w", Host: "unix/", Service: "rel/x"}: `the path of a UNIX socket must be absolute: "rel/x"`,
	} {
		if _, err := bindCfg(t, cfg); err == nil || err.Error() != want {
			t.Errorf("%+v: %v, want %q", cfg, err, want)
		}
	}
}

func TestUnixSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "u.sock")
	l := mustBind(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	if l.Service != path {
		t.Fatalf("service %q", l.Service)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != UnixMode {
		t.Fatalf("stat %v %v", st.Mode(), err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// someone accepts on it: refused, and the file is left alone
	_, err = bindCfg(t, messages.SocketConfig{Name: "u2", Host: "unix/", Service: path})
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "a process accepts on "+path) {
		t.Fatalf("bind on a live socket: %v", err)
	}
	l.Close()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("path left after close: %v", err)
	}
}

func TestUnixStalePathIsReplaced(t *testing.T) {
	path := filepath.Join(shortDir(t), "stale.sock")
	// a socket file nobody listens on, as a killed process leaves it
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Close(fd)
	l := mustBind(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	l.Close()
}

func TestUnixPathNotASocketIsRefused(t *testing.T) {
	path := filepath.Join(shortDir(t), "file")
	os.WriteFile(path, []byte("keep me"), 0o600)
	_, err := bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	if err == nil || err.Error() != path+" exists and is not a socket" {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatal("the file was touched")
	}
}

// Close never removes a path that is no longer the socket it bound.
func TestUnixCloseLeavesAReplacedPath(t *testing.T) {
	path := filepath.Join(shortDir(t), "r.sock")
	l := mustBind(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	os.Remove(path)
	os.WriteFile(path, []byte("new"), 0o600)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("someone else's path removed: %v", err)
	}
}

// shortDir is a fresh directory with a short path: a UNIX socket path is
// limited to 107 bytes, which t.TempDir may exceed.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", fmt.Sprintf("cfk-s%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// The chmod of a UNIX socket just bound follows no symlink put in its
// place, as another user may where the directory is theirs (/run/app
// owned by app): a chmod by path made the file it names mode 0660, as
// root (/bin/sh, or sudo losing its setuid bit). The bind fails instead,
// the file named left alone.
func TestUnixChmodFollowsNoSymlink(t *testing.T) {
	dir := shortDir(t)
	path, victim := filepath.Join(dir, "u.sock"), filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	swapped := false
	afterUnixBind = func(p string) { // the other user's rename, won the race
		swapped = os.Remove(p) == nil && os.Symlink(victim, p) == nil
	}
	t.Cleanup(func() { afterUnixBind = func(string) {} })
	l, err := bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	if err == nil {
		l.Close()
	}
	if !swapped {
		t.Fatal("the socket file was not replaced by a symlink")
	}
	st, serr := os.Stat(victim)
	if serr != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("the file the symlink names: %v %v, want mode 0755 untouched (the bind: %v)", st.Mode(), serr, err)
	}
	if err == nil {
		t.Fatal("bound, though its file is no longer the socket bound")
	}
	if !strings.Contains(err.Error(), "chmod: "+path+" is no longer a socket (replaced since the bind)") {
		t.Errorf("error %q", err)
	}
}

// A UNIX socket whose bind fails (its directory not one, or one cfkd may
// not write) said the bare errno, `cannot bind 'web': permission
// denied`, without the path it was bound on; the error names it now. (A
// missing directory is made: TestUnixMissingDirectoriesAreMade.)
func TestUnixBindErrorNamesThePath(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "u.sock")
	_, err := bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	if want := "lstat " + path + ": not a directory"; err == nil || err.Error() != want || !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("bind in a file: %v, want %q", err, want)
	}
	if os.Geteuid() == 0 {
		return // root writes any directory
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(ro, "u.sock")
	_, err = bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	if want := "bind " + path + ": permission denied"; err == nil || err.Error() != want || !errors.Is(err, syscall.EACCES) {
		t.Fatalf("bind in a read-only directory: %v, want %q", err, want)
	}
}
