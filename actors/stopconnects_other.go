//go:build !linux

package actors

import "net"

// stopConnects is Linux's (stopconnects_linux.go): elsewhere a client
// that connects between the backlog's last accept and the listener's
// close is reset by the close (REFERENCE §11.1).
func stopConnects(ln net.Listener) {}
