package sockets

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// This file is the UNIX sockets of Linux's abstract namespace (REFERENCE
// §3): service=@NAME, as systemd's ListenStream=@NAME. No file stands for
// one: nothing is made, probed, owned or removed; the name is free again
// once the last descriptor of the socket is closed. Its bind is a few
// quick syscalls, run on the actor (offActor).

// abstractTarget is the target of the abstract socket cfg (its service
// @NAME): refused elsewhere than on Linux, and with a user, group or
// mode, which no file takes (the declaration refuses them already:
// messages.SocketConfig.Apply).
func abstractTarget(cfg messages.SocketConfig) (target, error) {
	name := cfg.Service
	switch {
	case runtime.GOOS != "linux":
		return target{}, fmt.Errorf("%s: the abstract namespace of UNIX sockets (@NAME) is Linux's, not %s's", name, runtime.GOOS)
	case name == "@":
		return target{}, errors.New("@: an abstract UNIX socket wants a name after the @")
	case cfg.User != "" || cfg.Group != "" || cfg.Mode != "":
		return target{}, fmt.Errorf("%s: an abstract UNIX socket has no file: user, group and mode do not apply", name)
	}
	return target{path: name, abstract: true, uid: -1, gid: -1}, nil
}

// listenAbstract binds and listens on the abstract name t.path (@NAME:
// x/sys/unix puts the leading NUL for the @). The Listener has no path:
// its Close removes nothing.
func listenAbstract(t target, backlog int) (int, *Listener, error) {
	name := t.path
	if max := len(unix.RawSockaddrUnix{}.Path); len(name) > max {
		return -1, nil, fmt.Errorf("abstract UNIX socket name too long (max %d bytes with the @): %s", max, name)
	}
	fd, err := socketCloexec(unix.AF_UNIX, false)
	if err != nil {
		return -1, nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		unix.Close(fd)
		// EADDRINUSE: another process (or socket) holds the name
		return -1, nil, fmt.Errorf("bind %s: %w", name, err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, nil, fmt.Errorf("listen %s: %w", name, err)
	}
	return fd, &Listener{Service: name}, nil
}
