package actors

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/cfk/cfk/messages"
)

// bindHint says which socket of cfkd's is in the way of a bind of cfg
// (socket name) that failed `address already in use` (REFERENCE §3): a
// TCP one (dualStackHint), or a UNIX one bound on the same path or
// abstract name, which the bind's probe found live, `(a process accepts
// on PATH)`, without telling that the process is cfkd. Paths are
// compared as written, cleaned (nothing is read from the disk here): a
// path reached through a symlink is not told.
func (c *Controller) bindHint(name string, cfg messages.SocketConfig, err error) error {
	if !cfg.IsUnix() {
		return c.dualStackHint(name, cfg, err)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	var holders []string
	for n, e := range c.sockets {
		if n != name && e.file != nil && e.boundCfg.IsUnix() && sameUnixAddr(e.service, cfg.Service) {
			holders = append(holders, n)
		}
	}
	if len(holders) == 0 {
		return err
	}
	sort.Strings(holders)
	e := c.sockets[holders[0]]
	return fmt.Errorf("%w (socket '%s' is bound on %s)", err, holders[0], e.boundCfg.Address(e.service))
}

// sameUnixAddr tells whether two UNIX socket addresses, paths or @NAMEs
// as declared, are the same.
func sameUnixAddr(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) == 0 || len(b) == 0 || a[0] == '@' || b[0] == '@' {
		return false
	}
	return filepath.Clean(a) == filepath.Clean(b)
}
