//go:build !linux

package e2e

// pipeUnread has no /proc to open a process's pipe through here. Its
// callers' tests need pidfds (Linux) and are skipped before they call it.
func pipeUnread(pid, fd int) int {
	panic("pipeUnread: Linux only")
}
