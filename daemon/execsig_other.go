//go:build !(linux && (amd64 || arm64))

package daemon

// holdSignalsForExec holds nothing here: a signal during an upgrade's
// exec, before the new cfkd catches it, has its default action (REFERENCE
// §11).
func holdSignalsForExec() (restore func()) { return func() {} }
