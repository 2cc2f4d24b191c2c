package main

import (
	"os"
	"sync"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// markerVar is set in the environment of every process the tool starts
// (cfkd, supervisord, the baseline's children, the writer); cfkd and
// supervisord pass it on to their services. The final sweep kills every
// process that still carries this run's value, wherever it was reparented.
const markerVar = "CFK_BENCHTABLE_RUN"

// cleaner runs registered clean-up functions once, last registered first:
// at the end of a run, on an error, or from the signal handler. A second
// caller of run waits until the first one is done.
type cleaner struct {
	mu     sync.Mutex
	fns    []func()
	closed bool // run has begun: add runs its function at once
	once   sync.Once
	marker string // this run's markerVar value
	dir    string // this run's temporary directory
}

// removeDir removes the run's temporary directory.
func (c *cleaner) removeDir() {
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// add registers fn; once run has begun (an interrupt), a process started
// meanwhile is cleaned up at once by its caller's goroutine.
func (c *cleaner) add(fn func()) {
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.fns = append(c.fns, fn)
	}
	c.mu.Unlock()
	if closed {
		fn()
	}
}

func (c *cleaner) run() {
	c.once.Do(func() {
		c.mu.Lock()
		fns := c.fns
		c.fns, c.closed = nil, true
		c.mu.Unlock()
		for i := len(fns) - 1; i >= 0; i-- {
			fns[i]()
		}
		if left := sweep(c.marker); len(left) > 0 {
			logf("clean-up: killed %d leftover process(es) %v", len(left), left)
		}
	})
}

// isClosed reports whether the clean-up has begun (an interrupt).
func (c *cleaner) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// env is the environment for a process the tool starts.
func (c *cleaner) env(extra ...string) []string {
	return append(append(os.Environ(), markerVar+"="+c.marker), extra...)
}

// markedProcs lists the live (non-zombie) processes whose environment
// holds markerVar=marker.
func markedProcs(marker string) []int { return testkit.ProcsWithEnv(markerVar + "=" + marker) }

// sweep gives the processes of this run a second to go by themselves,
// then SIGKILLs those still there and returns them.
func sweep(marker string) []int { return testkit.KillProcsWithEnv(markerVar+"="+marker, time.Second) }

// mkdir creates dir (and its parents) and returns it; an error shows up at
// the first file created in it.
func mkdir(dir string) string {
	os.MkdirAll(dir, 0o700)
	return dir
}
