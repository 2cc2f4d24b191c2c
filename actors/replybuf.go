package actors

import (
	"sync"

	"github.com/cfk/cfk/messages"
)

// bigBuffers holds the write buffers of large replies (over 64 KiB: the
// status of thousands of services) between two of them. A console that
// polls such a status reuses one buffer instead of growing a new one for
// each reply (1 MiB of garbage a poll at 9,000 services, and a heap that
// grew with every poll); connections do not keep them, and the pool
// empties itself at the next garbage collections, so an idle cfkd holds
// none for long.
var bigBuffers sync.Pool // of *[]byte

// replyBuffer returns an empty buffer with room for rep's wire form: out
// itself when it has room, else one from bigBuffers, else a new one of
// the right size (rather than one grown by doubling).
func replyBuffer(out []byte, rep messages.Reply) []byte {
	if rep.Err != nil || len(rep.Lines) == 0 {
		return out
	}
	size := len("OK\r\n")
	for _, l := range rep.Lines {
		size += len(l) + 1
	}
	if size <= cap(out) {
		return out[:0]
	}
	if p, _ := bigBuffers.Get().(*[]byte); p != nil {
		if cap(*p) >= size {
			return (*p)[:0]
		}
		bigBuffers.Put(p)
	}
	return make([]byte, 0, size)
}
