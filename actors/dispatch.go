package actors

import (
	"runtime"
	"sync"
)

// poolDispatcher runs the mailboxes of service actors on a few goroutines
// that live as long as cfkd, instead of a new goroutine for each run of a
// mailbox (protoactor's default). A new goroutine starts with a small
// stack, and a service's handling of one message (the lifecycle table,
// a log entry, a signal) outgrows it: during a stop of 9,000 services,
// growing and copying stacks was a tenth of cfkd's CPU. The workers keep
// their stacks. They are started on demand, up to max, and park when the
// queue is empty (no polling: an idle cfkd has them all asleep). A
// service actor never waits in its Receive (actors/doc.go), so a worker
// is never held for long; the queue is FIFO, so no mailbox starves.
type poolDispatcher struct {
	throughput int
	max        int

	mu      sync.Mutex
	cond    sync.Cond
	queue   []func()
	head    int // queue[head:] is waiting
	workers int
	idle    int  // workers waiting on cond
	waking  int  // of those, the ones signalled and not yet awake
	closed  bool // close was called: workers end once the queue is empty
}

// newPoolDispatcher makes a dispatcher of up to max workers, each mailbox
// run handling up to throughput messages before it yields.
func newPoolDispatcher(max, throughput int) *poolDispatcher {
	d := &poolDispatcher{throughput: throughput, max: max}
	d.cond.L = &d.mu
	return d
}

// servicePool is the dispatcher of every service actor: 4 workers per
// CPU (at least 8).
var servicePool = newPoolDispatcher(max(8, 4*runtime.GOMAXPROCS(0)), 300)

// launchPool runs the launches of services (Launcher.Launch, which waits
// for a fork slot, then for the child's exec) on workers that keep their
// stacks, as servicePool does for mailbox runs: a goroutine per launch
// grew its stack in every launch of a mass start (a tenth of cfkd's CPU
// in a start of 1,000). It has more workers than the Launcher has fork
// slots (two per core), so that a launch whose fork ends finds the next
// one already waiting for the slot, and a launch that waits long (an exec
// on a hung file system) holds one worker and one slot, as it held one
// slot before. One thing waits here that did not wait for a slot: the
// look-up of a command in the PATH (a stat per directory, once a second
// at most per command, before the slot is taken), so a PATH through a
// hung file system, which hangs every start that uses it anyway, can now
// hold the workers too (before, each such start held a thread of its own
// in stat(2), without bound). Its throughput is unused.
var launchPool = newPoolDispatcher(max(8, 4*runtime.GOMAXPROCS(0)), 1)

// Schedule queues fn (a mailbox run) for a worker; it never blocks. Once
// the dispatcher is closed, fn runs on a goroutine of its own.
func (d *poolDispatcher) Schedule(fn func()) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		go fn()
		return
	}
	if d.head > 64 && 2*d.head > len(d.queue) { // keep the queue as long as what waits
		n := copy(d.queue, d.queue[d.head:])
		clear(d.queue[n:])
		d.queue, d.head = d.queue[:n], 0
	}
	d.queue = append(d.queue, fn)
	switch {
	case d.idle > d.waking: // one that no earlier Schedule woke
		d.waking++
		d.cond.Signal()
	case d.workers < d.max:
		d.workers++
		go d.work()
	}
	d.mu.Unlock()
}

// Throughput is the messages a mailbox run handles before it yields.
func (d *poolDispatcher) Throughput() int { return d.throughput }

func (d *poolDispatcher) work() {
	d.mu.Lock()
	for {
		for d.head == len(d.queue) {
			d.queue, d.head = d.queue[:0], 0
			if d.closed {
				d.workers--
				d.mu.Unlock()
				return
			}
			d.idle++
			d.cond.Wait()
			d.idle--
			if d.waking > 0 {
				d.waking--
			}
		}
		fn := d.queue[d.head]
		d.queue[d.head] = nil
		d.head++
		d.mu.Unlock()
		fn()
		d.mu.Lock()
	}
}

// close ends the workers once they have run what is queued (a tree's
// dispatcher, when the tree stops).
func (d *poolDispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.cond.Broadcast()
	d.mu.Unlock()
}
