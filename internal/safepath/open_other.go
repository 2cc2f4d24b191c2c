//go:build !linux

package safepath

import "os"

// openOwnedPath: no O_PATH here (OpenOwned looks, then opens).
func openOwnedPath(path string, uid int) (*os.File, error, bool) { return nil, nil, false }
