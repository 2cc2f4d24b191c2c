package proxyproc

import (
	"bytes"
	"sync"
	"unsafe"

	"github.com/cfk/cfk/proxywire"
)

// commandQueueBytes bounds the command lines read and not handled yet (the
// memory they hold, parsed: cost): past it the reader stops reading the
// command pipe until the loop took some, and cfkd keeps the next ones
// (REFERENCE §4.2).
const commandQueueBytes = 16 << 20

// queued is one command line read and not handled yet.
type queued struct {
	line  []byte
	cmd   proxywire.Command
	err   error // ParseCommand's: such a line has no name
	taken bool
	cost  int // what it holds, counted in cmdQueue.size
}

// cost estimates the memory e holds: its line, the entry itself and its
// place in the queue's slices, and the parsed command, whose strings
// (a string header each: an argument of 3 bytes of JSON, `"",`, is 16
// bytes parsed) and env map (some 64 bytes an entry) may weigh several
// times the line (a 16 MiB bound in line bytes held 130 MB).
func (e *queued) costOf() int {
	n := cap(e.line) + int(unsafe.Sizeof(*e)) + 64
	if e.err != nil {
		return n
	}
	c := &e.cmd
	n += len(c.Command) + len(c.Name) + len(c.Cmd) + len(c.TieStdinTo)
	for _, a := range c.Argv {
		n += 16 + len(a)
	}
	for k, v := range c.Env {
		n += 64 + len(k) + len(v)
	}
	return n
}

// cmdQueue holds the command lines the reader goroutine read, for the
// loop. next takes a stop line first when no earlier line of its service
// is still queued, else the oldest line: a stop waits for no start of
// another service (each start takes the loop a fork+exec), while the
// lines of each name are handled exactly in the order cfkd sent them.
type cmdQueue struct {
	wake chan struct{} // cap 1: a line was queued, or the end of the pipe
	room chan struct{} // cap 1: the loop took a line

	mu     sync.Mutex // guards the fields below
	all    []*queued  // arrival order; the taken ones are skipped
	byName map[string][]*queued
	stops  []*queued // stop lines first of their name's, as they became so
	size   int       // the cost of the lines queued (queued.cost)
	limit  int
	ended  bool  // the reader reached the end of the pipe
	err    error // why (io.EOF, a read error)
}

func newCmdQueue() *cmdQueue {
	return &cmdQueue{
		wake:   make(chan struct{}, 1),
		room:   make(chan struct{}, 1),
		byName: make(map[string][]*queued),
		limit:  commandQueueBytes,
	}
}

// push queues a line (without its "\n"); blank lines are dropped. It
// returns false when the queue is full: the caller waits on room.
func (q *cmdQueue) push(line []byte) bool {
	if len(bytes.TrimSpace(line)) == 0 {
		return true
	}
	e := &queued{line: line}
	e.cmd, e.err = proxywire.ParseCommand(line)
	e.cost = e.costOf()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.all = append(q.all, e)
	q.size += e.cost
	if e.err == nil {
		name := e.cmd.Name
		q.byName[name] = append(q.byName[name], e)
		if len(q.byName[name]) == 1 && e.cmd.Command == proxywire.CommandStop {
			q.stops = append(q.stops, e)
		}
	}
	signal(q.wake)
	return q.size < q.limit
}

// end records the end of the command pipe, after its last line.
func (q *cmdQueue) end(err error) {
	q.mu.Lock()
	q.ended, q.err = true, err
	q.mu.Unlock()
	signal(q.wake)
}

// ready reports whether next has a line, or the end, to give.
func (q *cmdQueue) ready() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.stops) > 0 || len(q.all) > 0 || q.ended
}

// next takes the line to handle now: nil, with ended true and the reason
// once every line read was taken and the pipe has ended.
func (q *cmdQueue) next() (e *queued, ended bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.all) > 0 && q.all[0].taken {
		q.all[0] = nil
		q.all = q.all[1:]
	}
	switch {
	case len(q.stops) > 0:
		e, q.stops[0] = q.stops[0], nil
		q.stops = q.stops[1:]
	case len(q.all) > 0:
		e, q.all[0] = q.all[0], nil
		q.all = q.all[1:]
	default:
		return nil, q.ended, q.err
	}
	e.taken = true
	q.size -= e.cost
	if e.err == nil {
		name := e.cmd.Name
		rest := q.byName[name][1:] // e was the first of its name's
		if len(rest) == 0 {
			delete(q.byName, name)
		} else {
			q.byName[name] = rest
			if rest[0].cmd.Command == proxywire.CommandStop {
				q.stops = append(q.stops, rest[0])
			}
		}
	}
	signal(q.room)
	return e, false, nil
}

// signal wakes the one waiter of a cap-1 channel, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
