//go:build !linux

package ctl

import "io"

// isTerminal is false off Linux (cfk targets Linux): no colours there.
func isTerminal(io.Writer) bool { return false }
