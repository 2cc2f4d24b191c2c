package actors

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// handleRefused is a launcher whose Handle fails for pid as for a pid
// that is not the proxy's child (a proxy's bug: it reported a process of
// another's).
type handleRefused struct {
	*fakeLauncher
	pid int
}

func (h handleRefused) Handle(pid, parent int) (*osproc.Process, error) {
	if pid == h.pid {
		return nil, fmt.Errorf("process %d is not a child of %d", pid, parent)
	}
	return h.fakeLauncher.Handle(pid, parent)
}

// REFERENCE §4.5: a `started` of an unknown service, or of a start the
// service gave up, whose pid cfkd could take no handle on was logged
// `killing it`, though nothing was killed (cfkd never signals a bare
// pid): an operator read that cfkd had SIGKILLed a process, possibly
// one of another program. The log says now that it is not signalled.
func TestStartedWithoutHandleNotSaidKilled(t *testing.T) {
	t.Parallel()
	refused := func(pid int) func(*Options) {
		return func(o *Options) { o.Launcher = handleRefused{o.Launcher.(*fakeLauncher), pid} }
	}
	check := func(t *testing.T, r *rig, logs *logCapture, pid int, want string, level logrus.Level) {
		t.Helper()
		if e := logs.wait(t, want); e.Level != level {
			t.Fatalf("%q at %v, want %v", e.Message, e.Level, level)
		}
		for _, w := range logs.warnings() {
			if strings.Contains(w, "killing it") {
				t.Fatalf("logged %q, and nothing was killed", w)
			}
		}
		if s := r.fake.signalsTo(pid); len(s) != 0 {
			t.Fatalf("signals %v to pid %d", s, pid)
		}
	}
	t.Run("unknown service", func(t *testing.T) {
		t.Parallel()
		logs := &logCapture{changed: make(chan struct{})}
		r, p, _ := proxiedStartingWith(t, "5", captureLog(logs), refused(401))
		p.command() // the start of s
		p.started("ghost", 401)
		p.started("s", 402)
		r.expectSeq("s", running)
		check(t, r, logs, 401, "proxy 'p' started unknown service 'ghost' (pid 401): no handle on it, cfkd will not signal it", logrus.ErrorLevel)
	})
	t.Run("given up", func(t *testing.T) {
		t.Parallel()
		logs := &logCapture{changed: make(chan struct{})}
		r, p, _ := proxiedStartingWith(t, "0.03", captureLog(logs), refused(301))
		p.command() // start
		r.okDone("command stop service s", 1)
		p.command() // stop
		r.expectSeq("s", stopping, stopped)
		r.waitStartGivenUp("s")
		p.started("s", 301)
		check(t, r, logs, 301, "proxy 'p' started 's' (pid 301) for a start the service gave up: no handle on it, cfkd will not signal it", logrus.WarnLevel)
	})
}
