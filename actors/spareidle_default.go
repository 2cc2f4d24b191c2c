//go:build !cfkadoptfault

package actors

import "time"

// spareIdleHook: this is not the tests' build (spareidle_testhook.go):
// SpareIdleEnv is not read.
const spareIdleHook = false

// spareIdleBound is spareIdleMax: the environment does not change it.
func spareIdleBound() time.Duration { return spareIdleMax }
