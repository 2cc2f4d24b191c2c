//go:build race

package osproc

// raceEnabled: under the race detector sync.Pool drops a quarter of what is
// put back, so allocation counts do not say anything about Pump.
const raceEnabled = true
