package sockets

import (
	"os"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Adopted is the actor of socket name bound already: f is the listening
// socket a former cfkd bound as cfg, on service (the real port, or the
// path), handed over by an upgrade in place (REFERENCE §13). The actor
// owns it as if it had bound it: an unbind closes it and removes the path.
// A UNIX socket's file is identified (its device and inode, so that the
// close removes it and no other) off the actor, once started: it may be
// on a hung mount (path.go); unbinds meanwhile wait for it. An abstract
// UNIX socket (@NAME) has no file: it is bound at once, as a TCP one.
func Adopted(name string, log logrus.FieldLogger, f *os.File, cfg messages.SocketConfig, service string) *Socket {
	s := New(name, log)
	s.ln, s.st = &Listener{File: f, Service: service}, bound
	if cfg.IsUnix() && !cfg.IsAbstract() { // an abstract one (@NAME) has no file
		s.ln.path, s.st = service, adopting
	}
	return s
}

// identified is the device and inode of an adopted UNIX socket's file,
// read off the actor; err: not read (a hung path, a file gone).
type identified struct {
	dev, ino uint64
	err      error
}

// identify reads, off the actor, the identity of the file of the UNIX
// socket adopted.
func (s *Socket) identify(ctx actor.Context, _ any) {
	root, self, timeout, path := ctx.ActorSystem().Root, s.self, pathTimeout, s.ln.path
	go func() {
		id, err := onPath("lstat", path, timeout, func() (identified, error) {
			if err := pathHook("lstat", path); err != nil {
				return identified{}, err
			}
			var st unix.Stat_t
			if err := unix.Lstat(path, &st); err != nil {
				return identified{}, &os.PathError{Op: "lstat", Path: path, Err: err}
			}
			return identified{dev: uint64(st.Dev), ino: st.Ino}, nil
		}, nil)
		id.err = err
		root.Send(self, id)
	}()
}

// adopted ends the adoption: the socket is bound, the unbinds that came
// meanwhile start its close. A file not identified is never removed.
func (s *Socket) adopted(ctx actor.Context, msg any) {
	m := msg.(identified)
	if m.err != nil {
		s.log.WithError(m.err).Warnf("'%s' socket adopted, its file unknown: its close will not remove it", s.name)
	} else {
		s.ln.dev, s.ln.ino = m.dev, m.ino
	}
	s.st = bound
	if reqs := s.closing; len(reqs) > 0 {
		s.closing = nil
		s.startClose(ctx, reqs)
	}
}
