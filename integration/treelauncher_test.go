package integration

import (
	"sync/atomic"
	"syscall"

	"github.com/cfk/cfk/osproc"
)

// treeLauncher is the test process's one Launcher as one tree's: the
// shutdown that ends a test stops its own tree's launches (the
// actors.LaunchStopper that cfkd's osproc Launcher is, REFERENCE §7.4),
// not those of the trees of the tests after it, as osproc's
// StopLaunching, which is for good, would. Every other method is the
// Launcher's.
type treeLauncher struct {
	*osproc.Launcher
	stopped atomic.Bool
}

func newTreeLauncher() *treeLauncher { return &treeLauncher{Launcher: launcher} }

// StopLaunching implements actors.LaunchStopper for this tree alone.
func (l *treeLauncher) StopLaunching() { l.stopped.Store(true) }

// Launch is the Launcher's until StopLaunching; osproc.ErrCancelled after.
func (l *treeLauncher) Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error) {
	if l.stopped.Load() {
		return nil, osproc.ErrCancelled
	}
	return l.Launcher.Launch(spec, onExit)
}
