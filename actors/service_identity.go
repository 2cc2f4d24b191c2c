package actors

// A launch's user, group and env_file (REFERENCE §1.1, §2.4): resolved
// off the actor, in a goroutine bounded by Options.LookupTimeout (the
// env_file by Options.PathTimeout), whose outcome comes back as
// credResolved; a slow NSS or file system delays only that service's
// start.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/internal/safepath"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// credResolved is the user/group lookup of a launch, done in a
// goroutine: NSS (LDAP, sssd) may take seconds, and it delays only this
// service's start, never the actor.
type credResolved struct {
	attempt uint64
	cfg     *messages.ServiceConfig // the declaration looked up
	cred    *syscall.Credential
	vars    []messages.EnvVar // runIdentity's: the user's HOME, USER, LOGNAME, SHELL, then the env_file's
	err     error
	// deniedDir: cfkd's working directory, when the run has no cwd of its
	// own and its user may not enter cfkd's (a warning, deniedWorkDir)
	deniedDir string
}

// looksUpIdentity says whether a launch of c resolves a user or group
// (NSS: off the actor); under a proxy none is (REFERENCE §1.1).
func looksUpIdentity(c *messages.ServiceConfig) bool {
	return c.Proxy == "" && (c.User != "" || c.Group != "")
}

// lookUp reads the env_file and resolves the user and group of the
// declaration of now, off the actor, for attempt.
func (s *Service) lookUp(ctx actor.Context, attempt uint64) {
	c := s.cfg
	lookup := looksUpIdentity(c)
	root, self, opts := ctx.ActorSystem().Root, s.self, s.opts
	s.lookingUp = attempt
	go func() {
		m := credResolved{attempt: attempt, cfg: c}
		m.cred, m.vars, m.err = runIdentity(c, lookup, opts)
		if m.err == nil {
			m.deniedDir = deniedWorkDir(c, m.cred, opts)
		}
		root.Send(self, m)
	}()
}

// runIdentity is what a run of c looks up off the actor (REFERENCE
// §2.4): the env_file's variables; with identity, the credential of its
// user and group; and, when that switches to a user (not under a proxy),
// the user's HOME, USER, LOGNAME and SHELL, as systemd's User= sets them. vars
// are those, the user's first: the env_file, then add_env, replace them.
func runIdentity(c *messages.ServiceConfig, identity bool, opts *Options) (cred *syscall.Credential, vars []messages.EnvVar, err error) {
	var file []messages.EnvVar
	if identity {
		if cred, err = boundedCredential(c.User, c.Group, opts); err != nil {
			return nil, nil, err
		}
	}
	if c.EnvFile != "" {
		// the uid the process runs as: cfkd's, but for an identity
		// switched here; under a proxy cfkd's whatever user says, as
		// the proxy runs as cfkd's user and the start line carries no
		// identity (REFERENCE §1.1): a file of that user's would set
		// the environment of a process of cfkd's user
		uid := os.Geteuid()
		if cred != nil {
			uid = int(cred.Uid)
		}
		if file, err = boundedEnvFile(c.EnvFile, c.Cwd, uid, opts); err != nil {
			return nil, nil, err
		}
	}
	if cred != nil && c.User != "" && c.Proxy == "" {
		env, err := boundedUserEnv(c.User, opts)
		if err != nil {
			return nil, nil, err
		}
		if env.ok {
			vars = []messages.EnvVar{{Key: "HOME", Value: env.home}, {Key: "USER", Value: env.name}, {Key: "LOGNAME", Value: env.name}}
			if env.shell != "" { // as su(1) and systemd's User=: a shell script's $SHELL is the user's
				vars = append(vars, messages.EnvVar{Key: "SHELL", Value: env.shell})
			}
		}
	}
	return cred, append(vars, file...), nil
}

// deniedWorkDir is cfkd's working directory when a run of c, switched to
// cred's user, has no cwd of its own and that user may not enter it (a
// root cfkd started in /root, a service of user=nobody): the process
// runs there all the same, and its relative paths fail with EACCES,
// where systemd runs a service in / (REFERENCE §2.4). "" otherwise, and
// when the check does not answer within opts.PathTimeout (cfkd's
// directory on a hung mount): it only warns.
func deniedWorkDir(c *messages.ServiceConfig, cred *syscall.Credential, opts *Options) string {
	if c.Cwd != "" || c.Proxy != "" || cred == nil || cred.Uid == 0 {
		return ""
	}
	wd, err := opts.workDir()
	if err != nil {
		return ""
	}
	key := fmt.Sprintf("workdir\x00%s\x00%d\x00%d\x00%v", wd, cred.Uid, cred.Gid, cred.Groups)
	v, err := opts.paths.Do(key, "cwd "+wd, opts.PathTimeout, func() (any, error) {
		return osproc.MayEnter(wd, cred), nil
	})
	if ok, _ := v.(bool); err != nil || ok {
		return ""
	}
	return wd
}

// boundedCredential is opts.Credential, bounded by opts.LookupTimeout
// (os/user takes no context: a dead LDAP or sssd may never answer): one
// that does not answer in time is a *nss.TimeoutError, and stays in
// flight, one per user and group, a later start waiting for it rather
// than asking again (REFERENCE §2.4).
func boundedCredential(userName, group string, opts *Options) (*syscall.Credential, error) {
	what := fmt.Sprintf("user lookup %q", userName)
	switch {
	case userName == "":
		what = fmt.Sprintf("group lookup %q", group)
	case group != "":
		what += fmt.Sprintf(" (with group %q)", group)
	}
	v, err := opts.lookups.Do("credential\x00"+userName+"\x00"+group, what, opts.LookupTimeout, func() (any, error) {
		return opts.Credential(userName, group)
	})
	cred, _ := v.(*syscall.Credential)
	return cred, err
}

// boundedEnvFile is readEnvFile bounded by opts.PathTimeout: a file on
// a hung NFS or FUSE mount may never answer its open or its read. One
// that has not answered in time is a *nss.TimeoutError naming it
// (`env_file /mnt/x/app.env did not answer within 5s`), and stays in
// flight, once per path and uid, a later start waiting for it rather than
// reading again, or, once it has been in flight that long, failing at
// once (nss.Flights.FailFast); its late answer goes to the starts still
// waiting, kept by none (REFERENCE §2.1).
func boundedEnvFile(name, cwd string, uid int, opts *Options) ([]messages.EnvVar, error) {
	abs := name
	if !filepath.IsAbs(abs) && cwd != "" {
		abs = filepath.Join(cwd, abs)
	}
	v, err := opts.paths.Do("envfile\x00"+abs+"\x00"+strconv.Itoa(uid), "env_file "+abs, opts.PathTimeout, func() (any, error) {
		return opts.readEnvFile(name, cwd, uid)
	})
	vars, _ := v.([]messages.EnvVar)
	return vars, err
}

// userEnv is what opts.UserEnv answers.
type userEnv struct {
	home, name, shell string
	ok                bool
}

// boundedUserEnv is opts.UserEnv, bounded as boundedCredential: its
// lookup not answering in time is the start's error (the process would
// have cfkd's HOME), a *nss.TimeoutError.
func boundedUserEnv(userName string, opts *Options) (userEnv, error) {
	v, err := opts.lookups.Do("userenv\x00"+userName, fmt.Sprintf("user lookup %q", userName), opts.LookupTimeout, func() (any, error) {
		var e userEnv
		e.home, e.name, e.shell, e.ok = opts.UserEnv(userName)
		return e, nil
	})
	e, _ := v.(userEnv)
	return e, err
}

// maxEnvFile bounds an env_file: the start line a proxy reads is at
// most 1 MiB (REFERENCE §4.2), and exec(2) takes less environment still.
const maxEnvFile = 1 << 20

// readEnvFile reads an env_file: a path relative to the service's cwd (or
// cfkd's), for a service that runs as uid. Its errors name the file, and
// the line.
//
// cfkd reads it as its own user (root: the file may be one only root
// reads, as systemd's EnvironmentFile=). A path that another user may
// redirect (REFERENCE §2.4: a directory of theirs on it, as the home of
// the service's user) could lead to any file cfkd may read, whose lines
// would go to the service's environment and the first bad one to
// last_error: through it, only a regular file of the service's user is
// read.
func readEnvFile(name, cwd string, uid int) ([]messages.EnvVar, error) {
	if !filepath.IsAbs(name) && cwd != "" {
		name = filepath.Join(cwd, name)
	}
	abs := name
	if a, err := filepath.Abs(name); err == nil {
		abs = a
	}
	var f *os.File
	var redirectable *safepath.Unsafe
	if err := safepath.Check(abs, os.Geteuid()); errors.As(err, &redirectable) {
		if f, err = safepath.OpenOwned(name, uid); err != nil {
			if n := (*safepath.NotOwned)(nil); errors.As(err, &n) {
				return nil, fmt.Errorf("env_file %s: not read: %v, so %s may make that path lead to any file: "+
					"through it, cfkd reads only a regular file of the service's user (uid %d), and this is %v", name, redirectable, redirectable.Who, uid, n)
			}
			return nil, fmt.Errorf("env_file: %w", err)
		}
	} else if f, err = os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
		// non-blocking: the open of a FIFO waited for a writer for
		// ever, each start failing as a hung mount, retried every
		// second for ever (REFERENCE §2.4)
		return nil, fmt.Errorf("env_file: %w", err)
	}
	defer f.Close()
	// its lines are the environment of the service's processes
	// (LD_PRELOAD, PATH: what they run, as their user): only root, cfkd's
	// user and the service's may write them, as -c's lines (REFERENCE
	// §2.4, §7.2)
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("env_file: %w", err)
	} else if st.Mode()&os.ModeNamedPipe != 0 {
		// opened non-blocking, a FIFO nobody writes to reads empty:
		// refused, as -l's and the token files' FIFOs are
		return nil, fmt.Errorf("env_file %s: a FIFO, not a file", name)
	} else if u := safepath.Content(name, st, os.Geteuid(), uid); u != nil {
		fix := fmt.Sprintf("chmod go-w %s", name)
		if !strings.HasPrefix(u.Why, "writable") {
			fix = fmt.Sprintf("chown %d %s", uid, name)
		}
		return nil, fmt.Errorf("env_file %s: not read: it is %s: %s could choose the environment of the service's processes "+
			"(LD_PRELOAD: what they run, as uid %d): an env_file must be root's, cfkd's user's or the service's user's, "+
			"and writable by no one else (%s)", name, u.Why, u.Who, uid, fix)
	}
	// bounded: an env_file of /dev/zero (or of gigabytes) made cfkd
	// allocate until it died; no environment that large could be exec'd
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFile+1))
	if err != nil {
		return nil, fmt.Errorf("env_file: %w", err)
	}
	if len(b) > maxEnvFile {
		return nil, fmt.Errorf("env_file %s: larger than %d bytes", name, maxEnvFile)
	}
	vars, err := messages.ParseEnvFile(b)
	if err != nil {
		return nil, fmt.Errorf("env_file %s: %w", name, err)
	}
	return vars, nil
}

// credResolved: the lookup is done; the launch goes on unless the table
// moved on meanwhile (it cannot: it waits for this launch's outcome).
func (s *Service) resolved(ctx actor.Context, m credResolved) {
	if m.attempt != s.lc.Launching || m.attempt != s.lookingUp {
		return // abandoned (abandonLookup)
	}
	if c := s.cfg; c != m.cfg && (c.User != m.cfg.User || c.Group != m.cfg.Group || c.Proxy != m.cfg.Proxy ||
		c.EnvFile != m.cfg.EnvFile || c.Cwd != m.cfg.Cwd) {
		// declared anew meanwhile (an apply): the fork is of the
		// declaration of now, so are its user and its env_file
		if _, _, err := s.spec(); err != nil {
			s.lookingUp = 0
			s.launchFailed(ctx, m.attempt, lifecycle.CauseConfig, err)
			return
		}
		if looksUpIdentity(c) || c.EnvFile != "" {
			s.lookUp(ctx, m.attempt)
			return
		}
		m.cred, m.vars, m.err, m.deniedDir = nil, nil, nil, ""
	}
	s.lookingUp = 0
	if m.err != nil {
		// reading the env_file when cfkd is out of fds: cfkd's shortage
		// (REFERENCE §2.1), not the service's declaration
		if short := shortage(m.err); short != nil {
			s.launchFailed(ctx, m.attempt, lifecycle.CauseShortage, short)
			return
		}
		// a name service that does not answer (a dead LDAP or sssd) is
		// not the service's failure either: retried as a shortage, not
		// counted (REFERENCE §2.1)
		if late := (*nss.TimeoutError)(nil); errors.As(m.err, &late) {
			s.launchFailed(ctx, m.attempt, lifecycle.CauseShortage, late)
			return
		}
		s.launchFailed(ctx, m.attempt, lifecycle.CauseConfig, fmt.Errorf("Service '%s' cannot start: %w", s.cfg.Name, m.err))
		return
	}
	if m.deniedDir != "" {
		s.log.Warnf("%s: it has no cwd, so it runs in cfkd's working directory %s, which uid %d may not enter: its relative paths fail with permission denied; set cwd (systemd runs a service in /)",
			s.cfg.Name, m.deniedDir, m.cred.Uid)
	}
	s.fork(ctx, m.attempt, m.cred, m.vars)
}

// abandonLookup ends a launch whose user lookup or env_file read is still
// under way, for a halt (destroy, shutdown) or a down (what it requires
// is stopped or destroyed): these would wait for it, and a lookup (an LDAP
// server that does not answer, an env_file on a hung NFS mount) may never
// end. No process exists yet; the lookup's answer, if it ever comes, is
// dropped. An operator's stop waits for it, as for any launch.
//
// The launch's failure replays what was deferred behind it: a start queued
// meanwhile launches again, and its lookup is abandoned too, until none is
// under way (each abandon answers one start: it ends).
//
// It reports whether it abandoned one.
func (s *Service) abandonLookup(ctx actor.Context, why string) (abandoned bool) {
	return s.endLookups(ctx, lifecycle.CauseAbandoned, func() error {
		what := "user lookup"
		if s.cfg.EnvFile != "" {
			what = "env_file read and user lookup"
		}
		return fmt.Errorf("Service '%s' cannot start: its %s was abandoned for %s", s.cfg.Name, what, why)
	})
}

// endLookups fails the launch whose user lookup or env_file read is under
// way with cause and the error errOf gives, then each launch the failure
// replays (a start queued meanwhile), until none is under way. It reports
// whether it ended one.
func (s *Service) endLookups(ctx actor.Context, cause lifecycle.Cause, errOf func() error) (ended bool) {
	for s.lookingUp != 0 && s.lookingUp == s.lc.Launching {
		ended = true
		attempt := s.lookingUp
		s.lookingUp = 0
		s.launchFailed(ctx, attempt, cause, errOf())
	}
	return ended
}

// cancelForProxyDown ends, for a proxydown of proxy, a launch of the
// service declared under it whose env_file read or user lookup is still
// under way: it began before the proxydown, and none of those starts runs
// the proxy again (REFERENCE §4.5). Nothing was started: `launch
// cancelled`, stopped, its start answered `Service 'NAME' was not
// started: proxy 'P' was shut down`. A start queued behind it came before
// the proxydown too (those that come after it come after this message):
// as abandonLookup, until none is under way. So a restart whose check
// (CheckLaunch, of the proxy's launch too when it did not run: REFERENCE
// §1.4) is under way: it would start the service under the proxy once
// the check ended, the proxy run again; its check ends as one that
// failed, the restart answered `Service 'NAME' was not restarted: proxy
// 'P' was shut down`, its process kept; past its check, stopping the
// process, it is cancelled as a stop cancels it (`restart cancelled by a
// stop`), the service left down. The controller is told once
// done: a start asked of the proxy before, by a launch whose lookup ended
// before this message came, is cancelled there (routeToProxy).
func (s *Service) cancelForProxyDown(ctx actor.Context, proxy string) {
	for s.cfg.Proxy == proxy {
		if s.endLookups(ctx, lifecycle.CauseProxyDown, func() error { return errProxyShutDown(proxy) }) {
			continue
		}
		if s.lc.Checking == 0 || s.lc.Launching != 0 { // (a check is never under way with a launch)
			break
		}
		s.abandonCheck(ctx, fmt.Errorf("Service '%s' was not restarted: %w", s.cfg.Name, errProxyShutDown(proxy)))
	}
	if s.cfg.Proxy == proxy && s.lc.State == messages.Stopping && s.lc.Want == lifecycle.WantRestart &&
		s.lc.Launching == 0 && s.lc.Checking == 0 {
		// a restart past its check, stopping its process (one the
		// proxy does not run: the controller stops those), would start
		// it under the proxy once down: cancelled, as a stop does
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvStop})
	}
	ctx.Send(ctx.Parent(), proxyDownCancelDone{name: s.cfg.Name, proxy: proxy})
}
