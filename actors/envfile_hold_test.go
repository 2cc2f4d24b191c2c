package actors

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// envFileHold is an env_file (A=1) whose reads a test holds: once hold is
// called, the next read (a launch's, a restart's check) is told to
// waitRead and waits for free, as does every read until then.
type envFileHold struct {
	path           string
	held           atomic.Bool
	asked, release chan struct{}
	once           sync.Once
}

func newEnvFileHold(t *testing.T, name string) *envFileHold {
	t.Helper()
	h := &envFileHold{path: filepath.Join(t.TempDir(), name), asked: make(chan struct{}, 4), release: make(chan struct{})}
	if err := os.WriteFile(h.path, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.free)
	return h
}

// option makes the rig's env_file reads go through h.
func (h *envFileHold) option(o *Options) {
	o.readEnvFile = func(name, cwd string, uid int) ([]messages.EnvVar, error) {
		if h.held.Load() {
			h.asked <- struct{}{}
			<-h.release
		}
		return readEnvFile(name, cwd, uid)
	}
}

// hold holds the reads from now on.
func (h *envFileHold) hold() { h.held.Store(true) }

// waitRead waits for a held read: what, which reads it, did not.
func (h *envFileHold) waitRead(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.asked:
	case <-time.After(deadline):
		t.Fatalf("%s did not read the env_file", what)
	}
}

// free lets the held reads go on, and the next ones read at once.
func (h *envFileHold) free() {
	h.held.Store(false)
	h.once.Do(func() { close(h.release) })
}
