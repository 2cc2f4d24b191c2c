//go:build !linux || cfkportable

package osproc

import "sync/atomic"

// This build has no hot readers (hot_linux.go): the poller reads every
// pipe itself.
const hotReaders = false

type hotReader struct {
	p       *poller
	op      *outPipe
	feeding bool
	at      int64
}

var hotRunning atomic.Int32 // always 0

func callerHot() *hotReader { return nil }

// OnHotReader is always false here: no output callback may wait.
func OnHotReader() bool { return false }

func (p *poller) makeHot(op *outPipe) {}

func (p *poller) coolHot() {}
