package sockets

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// UnixMode is the mode of the path of a bound UNIX socket: its owner and
// group may connect (connecting needs write permission on it).
const UnixMode = 0o660

// Listener is a bound, listening socket. Its File is the only descriptor
// cfkd keeps of it: close-on-exec (children get it only as their fd 0 or
// one of their ExtraFiles, by dup2), in the blocking mode the declaration
// asks (O_NONBLOCK only with nonblocking=1) and never put in Go's poller,
// so that nothing in cfkd changes that mode behind the services' back.
type Listener struct {
	File    *os.File
	Service string // the real port (port 0 and service names resolved), or the UNIX path

	path     string // the UNIX path to remove on Close; "" for TCP
	dev, ino uint64 // of that path, so that Close never removes another's
	backlog  int    // the listen backlog given (SOMAXCONN for max)
}

// target is where to bind, once every name is resolved.
type target struct {
	ip   netip.Addr // TCP; the zone, if any, is an interface name or index
	port int
	path string // UNIX
	// abstract: path is @NAME, in Linux's abstract namespace (abstract.go)
	abstract bool

	// the file of a UNIX socket: its owner and group (-1: cfkd's, left
	// as the bind makes them) and mode
	uid, gid int
	mode     uint32
}

// offActor reports whether the bind of cfg may wait: a lookup
// (needsLookup), or a UNIX socket, whose path is on a file system that
// may not answer (a hung NFS or FUSE mount). The socket actor runs it in
// a goroutine (bindOff).
// An abstract UNIX socket (@NAME) has no path: its bind is a few quick
// syscalls, as a numeric TCP one's.
func offActor(cfg messages.SocketConfig) bool {
	return cfg.IsUnix() && !cfg.IsAbstract() || needsLookup(cfg)
}

// bindOff binds cfg off the actor: its names looked up (LookupTimeout
// each), then a UNIX socket's file system work, bounded by timeout
// (onPath).
func bindOff(cfg messages.SocketConfig, timeout time.Duration) (*Listener, error) {
	ctx, cancel := context.WithTimeout(context.Background(), LookupTimeout)
	t, err := resolve(ctx, cfg)
	cancel()
	if err != nil {
		return nil, err
	}
	if t.path == "" || t.abstract {
		return listen(cfg, t)
	}
	return onPath("bind", t.path, timeout, func() (*Listener, error) { return listen(cfg, t) },
		func(l *Listener) { l.Close() })
}

// needsLookup reports whether resolving cfg takes a lookup that may wait
// (a host name, a service name, a user or group name).
func needsLookup(cfg messages.SocketConfig) bool {
	if cfg.IsUnix() {
		return !numeric(cfg.User) || !numeric(cfg.Group) // a user or group name (REFERENCE §1.2)
	}
	if cfg.Host == "" || cfg.Service == "" {
		return false
	}
	if _, err := netip.ParseAddr(cfg.Host); err != nil {
		return true
	}
	_, err := strconv.Atoi(cfg.Service)
	return err != nil
}

// resolve turns the declaration into a target: a host name becomes its
// first address (IPv4 first), a service name its TCP port (/etc/services).
func resolve(ctx context.Context, cfg messages.SocketConfig) (target, error) {
	switch {
	case cfg.Host == "":
		return target{}, fmt.Errorf("no host (socket %s host=IP|unix/)", cfg.Name)
	case cfg.Service == "":
		return target{}, fmt.Errorf("no service (socket %s service=PORT|PATH)", cfg.Name)
	case cfg.IsUnix():
		return unixTarget(cfg)
	}
	port, err := lookupPort(ctx, cfg.Service)
	if err != nil {
		return target{}, err
	}
	ip, err := netip.ParseAddr(cfg.Host)
	if err != nil {
		if ip, err = lookupHost(ctx, cfg.Host); err != nil {
			return target{}, err
		}
	}
	return target{ip: ip, port: port}, nil
}

func lookupPort(ctx context.Context, service string) (int, error) {
	if n, err := strconv.Atoi(service); err == nil {
		if n < 0 || n > 65535 {
			return 0, fmt.Errorf("port %d out of range 0..65535", n)
		}
		return n, nil
	}
	n, err := net.DefaultResolver.LookupPort(ctx, "tcp", service)
	if err != nil {
		return 0, fmt.Errorf("unknown service %q", service)
	}
	return n, nil
}

func lookupHost(ctx context.Context, host string) (netip.Addr, error) {
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("cannot resolve host %q", host)
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return addrs[0], nil
}

// listen binds and listens as cfg says on t. See Listener for the fd.
func listen(cfg messages.SocketConfig, t target) (*Listener, error) {
	backlog := cfg.Qsize
	if backlog <= 0 {
		backlog = somaxconn()
	}
	var (
		l   *Listener
		fd  int
		err error
	)
	if t.abstract {
		fd, l, err = listenAbstract(t, backlog)
	} else if t.path != "" {
		fd, l, err = listenUnix(t, backlog)
	} else {
		fd, l, err = listenTCP(t, backlog, cfg.IPv6Only)
	}
	if err != nil {
		return nil, err
	}
	// fd is blocking here: os.NewFile then keeps it out of Go's poller
	// and File.Fd never changes its mode. The mode services get is set
	// after, once for all.
	l.File, l.backlog = os.NewFile(uintptr(fd), "socket:"+cfg.Name), backlog
	if err := unix.SetNonblock(fd, cfg.Nonblocking); err != nil {
		l.Close()
		return nil, fmt.Errorf("set O_NONBLOCK: %w", err)
	}
	return l, nil
}

// listenTCP binds and listens on t. v6only sets IPV6_V6ONLY on an IPv6
// socket (ipv6only=1): without it, `::` takes IPv4 too (the system's
// default, net.ipv6.bindv6only=0), and conflicts with an IPv4 socket on
// its port (REFERENCE §1.2); an IPv4 address ignores it.
func listenTCP(t target, backlog int, v6only bool) (int, *Listener, error) {
	var sa unix.Sockaddr
	family := unix.AF_INET6
	if ip := t.ip.Unmap(); ip.Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: t.port, Addr: ip.As4()}
	} else {
		zone, err := zoneIndex(t.ip.Zone())
		if err != nil {
			return -1, nil, err
		}
		sa = &unix.SockaddrInet6{Port: t.port, Addr: t.ip.As16(), ZoneId: zone}
	}
	fd, err := socketCloexec(family, false)
	if err != nil {
		return -1, nil, os.NewSyscallError("socket", err)
	}
	fail := func(err error) (int, *Listener, error) {
		unix.Close(fd)
		return -1, nil, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail(fmt.Errorf("SO_REUSEADDR: %w", err))
	}
	if v6only && family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return fail(fmt.Errorf("IPV6_V6ONLY: %w", err))
		}
	}
	// a bare errno ("permission denied": a port below the unprivileged
	// ones; "cannot assign requested address": no such local address)
	// said nothing of where, and a host name is resolved only here
	// (REFERENCE §1.7): `bind ADDRESS: REASON`, the address resolved
	ap := netip.AddrPortFrom(t.ip, uint16(t.port))
	addr := ap.String()
	if err := unix.Bind(fd, sa); err != nil {
		return fail(&BindError{Addr: ap, Err: err, V6Only: family == unix.AF_INET6 && v6onlyOf(fd)})
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail(fmt.Errorf("listen %s: %w", addr, err))
	}
	port := t.port
	if got, err := unix.Getsockname(fd); err == nil {
		switch a := got.(type) {
		case *unix.SockaddrInet4:
			port = a.Port
		case *unix.SockaddrInet6:
			port = a.Port
		}
	}
	return fd, &Listener{Service: strconv.Itoa(port)}, nil
}

// zoneIndex turns the zone of an IPv6 address (an interface name or index)
// into the interface index.
func zoneIndex(zone string) (uint32, error) {
	if zone == "" {
		return 0, nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("unknown interface %q", zone)
	}
	return uint32(ifi.Index), nil
}

// listenUnix binds a UNIX stream socket on t.path. Its missing
// directories are made (mkdirParents), and left even if the bind fails,
// as systemd leaves them. A socket file left by a process that is gone is
// removed first; one on which a process accepts,
// or a path that is not a socket, is refused. The file gets t's owner,
// group and mode before the listen: until then a connect is refused,
// whatever the file's mode, so nobody ever connects through another.
func listenUnix(t target, backlog int) (int, *Listener, error) {
	path := t.path
	if len(path) >= len(unix.RawSockaddrUnix{}.Path) {
		return -1, nil, fmt.Errorf("UNIX socket path too long (max %d bytes): %s", len(unix.RawSockaddrUnix{}.Path)-1, path)
	}
	if err := pathHook("bind", path); err != nil {
		return -1, nil, err
	}
	if err := mkdirParents(filepath.Dir(path)); err != nil {
		return -1, nil, err
	}
	if err := removeStale(path); err != nil {
		return -1, nil, err
	}
	fd, err := socketCloexec(unix.AF_UNIX, false)
	if err != nil {
		return -1, nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		// a bare errno ("permission denied": a directory cfkd may not
		// write; "no such file or directory": none there) said nothing
		// of where (REFERENCE §1.7): `bind PATH: REASON`
		return -1, nil, &os.PathError{Op: "bind", Path: path, Err: err}
	}
	afterUnixBind(path)
	l := &Listener{Service: path, path: path}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err == nil {
		l.dev, l.ino = uint64(st.Dev), st.Ino
	}
	if t.uid >= 0 || t.gid >= 0 {
		if err := chownSocket(path, t.uid, t.gid); err != nil {
			unix.Close(fd)
			l.removePath()
			return -1, nil, fmt.Errorf("chown: %w", err)
		}
	}
	if err := chmodSocket(path, t.mode); err != nil {
		unix.Close(fd)
		l.removePath()
		return -1, nil, fmt.Errorf("chmod: %w", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		l.removePath()
		return -1, nil, &os.PathError{Op: "listen", Path: path, Err: err}
	}
	return fd, l, nil
}

// afterUnixBind runs between the bind of a UNIX socket and its chmod (a
// test replaces the file meanwhile, as another user could).
var afterUnixBind = func(path string) {}

// removeStale removes path if it is a UNIX socket nobody accepts on.
func removeStale(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	// a non-blocking connect: a full backlog answers EAGAIN instead of
	// waiting, and still means someone listens.
	fd, err := socketCloexec(unix.AF_UNIX, true)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
	unix.Close(fd)
	switch {
	case err == nil, errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINPROGRESS):
		return fmt.Errorf("%w (a process accepts on %s)", syscall.EADDRINUSE, path)
	case errors.Is(err, unix.ECONNREFUSED):
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale socket: %w", err)
		}
		return nil
	}
	return fmt.Errorf("probe %s: %w", path, err)
}

// Close closes the listening socket and removes the path of a UNIX socket
// (unless it is no longer the one cfkd bound). Services that inherited the
// socket keep their own descriptor.
func (l *Listener) Close() error {
	err := l.File.Close()
	l.removePath()
	return err
}

func (l *Listener) removePath() {
	if l.path == "" {
		return
	}
	if pathHook("remove", l.path) != nil {
		return
	}
	var st unix.Stat_t
	if err := unix.Lstat(l.path, &st); err != nil || uint64(st.Dev) != l.dev || st.Ino != l.ino {
		return
	}
	os.Remove(l.path)
}
