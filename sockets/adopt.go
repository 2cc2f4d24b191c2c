package sockets

import (
	"os"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Adopted is the actor of socket name bound already: f is the listening
// socket a former cfkd bound as cfg, on service (the real port, or the
// path), handed over by an upgrade in place (REFERENCE §13). The actor
// owns it as if it had bound it: an unbind closes it and removes the path.
func Adopted(name string, log logrus.FieldLogger, f *os.File, cfg messages.SocketConfig, service string) *Socket {
	s := New(name, log)
	l := &Listener{File: f, Service: service}
	if cfg.IsUnix() {
		l.path = service
		var st unix.Stat_t
		if err := unix.Lstat(service, &st); err == nil {
			l.dev, l.ino = uint64(st.Dev), st.Ino
		}
	}
	s.ln, s.st = l, bound
	return s
}
