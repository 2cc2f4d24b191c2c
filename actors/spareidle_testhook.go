//go:build cfkadoptfault

package actors

import (
	"os"
	"time"
)

// spareIdleHook: this is the tests' build (-tags cfkadoptfault), where
// SpareIdleEnv is read.
const spareIdleHook = true

// spareIdleBound, in the tests' build only, is what SpareIdleEnv sets.
func spareIdleBound() time.Duration { return spareIdleFromEnv(os.Getenv(SpareIdleEnv)) }
