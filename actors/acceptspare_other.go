//go:build !linux

package actors

import "net"

// answer closes the spare, accepts the waiting client on its number,
// refuses it with why and lets the caller reopen the spare (no accept4
// nor dup3 here: a fd taken in between leaves it closed until a later
// shortage reopens it).
func (s *acceptSpare) answer(ln net.Listener, why error) {
	s.f.Close()
	s.f = nil
	if conn, err := ln.Accept(); err == nil {
		(*ConsolePolicy)(nil).refuse(conn, why)
	}
}
