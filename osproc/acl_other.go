//go:build !linux

package osproc

// aclOnPath: cfkd reads no ACLs here; the mode bits cannot tell who may
// execute p.
func aclOnPath(p string) bool { return true }
