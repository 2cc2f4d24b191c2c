//go:build !linux

package actors

import "os"

// mayRaiseNofile says whether cfkd may raise a hard RLIMIT_NOFILE: root
// may (no capabilities outside Linux).
func mayRaiseNofile() bool { return os.Geteuid() == 0 }
