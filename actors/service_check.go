package actors

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// ProgramChecker is implemented by a Launcher that can tell, without
// launching, whether a spec's program would be found (osproc.Launcher:
// looked up in the PATH as Launch does). A restart asks it before the
// process is stopped (REFERENCE §2.7). It reads the disk: never called
// inside Receive.
type ProgramChecker interface {
	CheckProgram(spec osproc.Spec) error
}

var _ ProgramChecker = (*osproc.Launcher)(nil)

// launchChecked is the outcome of a restart's check (checkLaunch), from
// its goroutine: err is the start's error, nil when the launch may go on.
type launchChecked struct {
	n   uint64
	err error
}

// checkLaunch carries out CheckLaunch (REFERENCE §2.7): before a restart
// stops the process, what its launch needs and the declaration alone does
// not tell is checked, off the actor as the launch does it: the env_file
// read, the user and group looked up (and with ready=notify, whether the
// notify socket its user needs is there), the cwd and the program found. Its
// error is the one the start would answer; a shortage of cfkd's own (fds)
// is no reason to refuse: the launch deals with it (REFERENCE §2.1).
// restartProxy is the restart's proxy that does not run (CheckLaunch's
// Proxy): its program is checked too. With nothing to look at, it
// answers at once.
func (s *Service) checkLaunch(ctx actor.Context, n uint64, restartProxy *messages.ProxyConfig) {
	spec, _, err := s.spec()
	if err != nil { // the restart's own check found it already
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvChecked, Check: n, Err: err})
		return
	}
	c := s.cfg
	lookup := looksUpIdentity(c)
	checker, _ := s.opts.Launcher.(ProgramChecker)
	var proxy *osproc.Spec // the launch of its proxy, which does not run
	pchecker := checker
	if c.Proxy != "" {
		if p := restartProxy; checker != nil && p != nil && p.Name == c.Proxy {
			proxy = proxyProbe(s.opts, p)
		}
		checker = nil // the proxy execs it: its start says why not
	}
	if !lookup && c.EnvFile == "" && checker == nil && proxy == nil {
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvChecked, Check: n})
		return
	}
	last, opts := s.lastVars(), s.opts
	// only what a lookup reads: not the spec's sockets nor its output
	probe := osproc.Spec{Argv: spec.Argv, Program: spec.Program, Env: spec.Env, Dir: spec.Dir}
	root, self := ctx.ActorSystem().Root, s.self
	go func() {
		m := launchChecked{n: n}
		cred, vars, err := runIdentity(c, lookup, opts)
		if err == nil { // a notify socket its user cannot reach
			_, m.err = needsSharedNotify(c, opts, cred)
		}
		if err == nil && m.err == nil { // a hard limit it may not raise
			m.err = nofileFor(c, cred)
		}
		switch {
		case err != nil:
			if shortage(err) == nil {
				m.err = fmt.Errorf("Service '%s' cannot start: %w", c.Name, err)
			}
		case m.err != nil:
		case proxy != nil:
			if err := pchecker.CheckProgram(*proxy); err != nil && shortage(err) == nil {
				m.err = fmt.Errorf("Service '%s' cannot start: proxy '%s': %w", c.Name, c.Proxy, err)
			}
		case checker != nil:
			if len(vars) > 0 {
				probe.Env = mergeEnv(probe.Env, vars, c.Env, last)
			}
			probe.Credential = cred
			if err := checker.CheckProgram(probe); err != nil && shortage(err) == nil {
				m.err = fmt.Errorf("Service '%s' cannot start: %w", c.Name, err)
			}
		}
		root.Send(self, m)
	}()
}

// checked feeds a check's outcome to the table; one abandoned
// (abandonCheck) is stale there, its Check no longer the lifecycle's.
func (s *Service) checked(ctx actor.Context, m launchChecked) {
	s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvChecked, Check: m.n, Err: m.err})
}

// abandonCheck ends a restart's check still under way, for a halt or a
// down that would otherwise wait for it (a lookup may never end, as
// abandonLookup's): the restart goes on as if it had passed, so the
// process is stopped, and the halt or the down that follows answers the
// restart as it answers any restart waiting for the service to be down.
// With err (a proxydown's, cancelForProxyDown) the check ends as one that
// failed: the restart is answered err, its process kept.
func (s *Service) abandonCheck(ctx actor.Context, err error) {
	if n := s.lc.Checking; n != 0 {
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvChecked, Check: n, Err: err})
	}
}

// proxyProbe is what the launch of proxy p looks up first (REFERENCE
// §4.1): its program, in the PATH of its environment (cfkd's, then its
// add_env); it has no cwd nor user of its own. Nil when its command does
// not parse (proxyArgvErr says so).
func proxyProbe(opts *Options, p *messages.ProxyConfig) *osproc.Spec {
	argv, err := osproc.Argv(p.Cmd, p.Argv)
	if err != nil {
		return nil
	}
	return &osproc.Spec{Argv: argv, Env: mergeEnv(opts.Env, p.Env)}
}

// proxyArgvErr is why the launch of proxy p, which a restart of service
// name would run, fails before any lookup: its command does not parse.
func proxyArgvErr(name string, p *messages.ProxyConfig) error {
	if _, err := osproc.Argv(p.Cmd, p.Argv); err != nil {
		return fmt.Errorf("Service '%s' cannot start: proxy '%s': %w", name, p.Name, err)
	}
	return nil
}
