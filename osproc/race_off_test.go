//go:build !race

package osproc

const raceEnabled = false
