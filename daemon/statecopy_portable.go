//go:build !linux || cfkportable

package daemon

import (
	"errors"
	"os"
)

// sealedState: no memfd here; the copy is an unlinked file
// (unlinkedState).
func sealedState([]byte) (*os.File, error) {
	return nil, errors.ErrUnsupported
}
