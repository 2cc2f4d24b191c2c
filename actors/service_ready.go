package actors

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
)

// This file carries out readiness (REFERENCE §2.9): the Probe effect
// starts a probe goroutine for tcp:, http: and exec: (notify needs none:
// the datagrams come through the controller), which tries until the check
// passes, then tells the actor once and ends; Unprobe cancels it. A probe
// runs only while the service is starting: an idle cfkd probes nothing;
// under a proxy, from the report of the pid (the table's Probe comes
// then), not while the proxy loads.

// readyProbed: the probe of attempt passed.
type readyProbed struct{ attempt uint64 }

// probeTry is the last failed try of a probe: why it failed and, when
// it could not be run for want of cfkd's own fds or a fork, cfkd's
// reason (short), as a launch's shortage says it.
type probeTry struct {
	why   string
	short error
}

// tryNotRun is the error of an exec: try that cfkd could not launch for
// its own shortage (short: its reason, REFERENCE §2.1).
type tryNotRun struct{ short error }

func (e *tryNotRun) Error() string { return "not run: " + e.short.Error() }
func (e *tryNotRun) Unwrap() error { return e.short }

// fdShortTry is err, or the tryNotRun of a tcp: or http: try that
// could not open its socket for want of cfkd's own fds (EMFILE, ENFILE:
// only the socket's creation fails so, never the service's answer):
// cfkd's shortage, as an exec: try's launch (REFERENCE §2.9).
func fdShortTry(err error) error {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return &tryNotRun{short: shortage(err)}
	}
	return err
}

// probeShort is cfkd's reason when the last try of the run's probe could
// not be run for its own shortage, nil otherwise: a ready timeout then
// is not the service's failure (lifecycle.EvReadyShort, REFERENCE §2.9).
func (s *Service) probeShort() error {
	if s.probeFailed == nil {
		return nil
	}
	if t := s.probeFailed.Load(); t != nil {
		return t.short
	}
	return nil
}

// probeInterval is the pause between two tries of a probe, growing from
// the first to the last.
var probeInterval = [2]time.Duration{100 * time.Millisecond, time.Second}

// probe carries out Probe.
func (s *Service) probe(ctx actor.Context, attempt uint64) {
	s.unprobe()
	kind, target := messages.Ready(s.runReady)
	var check func(context.Context) error
	switch kind {
	case messages.ReadyTCP:
		held, log, pid, name := heldSockets(s.files), s.log, s.lc.Pid, s.cfg.Name
		check = func(c context.Context) error {
			conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(c, "tcp", target)
			if err != nil {
				return fdShortTry(err)
			}
			if sock := heldBy(held, conn); sock != "" {
				// passed at once, ready or not, and the connection waits
				// in the backlog for a worker (REFERENCE §2.9): the run
				// is taken as ready as before, the user told why not to
				log.WithField("pid", pid).Warnf("%s: ready=tcp:%s is socket '%s', which cfkd holds: the kernel accepts there before the service does, so the check passes at once; use ready=http: or ready=notify", name, target, sock)
			}
			conn.Close()
			return nil
		}
	case messages.ReadyHTTP:
		check = func(c context.Context) error { return fdShortTry(httpReady(c, target)) }
	case messages.ReadyExec:
		rc := s.runCfg // the run's umask and limit_nofile
		if rc == nil {
			rc = s.cfg
		}
		if run := s.probeRun; run != nil {
			// the run's own: its user's HOME, its env_file, its identity,
			// its umask and limit_nofile; not its fds 3, 4, ..., so not
			// the variables telling of them
			spec, launcher := *run, s.opts.Launcher
			spec.Env = withoutVars(spec.Env, socketVars)
			spec.Setsid, spec.EndGroup = probeGroup()
			tryFor := s.opts.ExecProbeTry
			check = func(c context.Context) error {
				// its shim at each try: a hard limit cfkd may no longer
				// raise, lowered since the launch, leaves it cfkd's
				return execReady(c, launcher, probeShim(rc, spec, target), tryFor)
			}
			break
		}
		svc, _, err := s.spec()
		if err != nil {
			return // the launch checked it: cannot happen
		}
		// no run kept (a run adopted by an upgrade in place, or under a
		// proxy): the service's environment, directory and session made
		// afresh, as its launch makes them, and nothing else of its
		// launch: no fds (nor the variables telling of them), and its
		// output is not the service's
		base := osproc.Spec{Env: withoutVars(svc.Env, socketVars), Dir: svc.Dir}
		base.Setsid, base.EndGroup = probeGroup()
		cfg, last, opts := s.cfg, s.lastVars(), s.opts
		check = func(c context.Context) error {
			// under a proxy too the probe runs as user and group, as before
			cred, vars, err := runIdentity(cfg, cfg.User != "" || cfg.Group != "", opts)
			if err != nil {
				return err
			}
			spec := base
			spec.Credential = cred
			if len(vars) > 0 {
				spec.Env = withoutVars(mergeEnv(base.Env, vars, cfg.Env, last), socketVars)
			}
			return execReady(c, opts.Launcher, probeShim(rc, spec, target), opts.ExecProbeTry)
		}
	default:
		return // notify: the datagrams say it
	}
	c, cancel := context.WithCancel(context.Background())
	failed := new(atomic.Pointer[probeTry])
	s.probeCancel, s.probeFailed = cancel, failed
	root, self := ctx.ActorSystem().Root, s.self
	go func() {
		wait := probeInterval[0]
		for {
			err := check(c)
			if err == nil {
				root.Send(self, readyProbed{attempt: attempt})
				return
			}
			if errors.Is(err, osproc.ErrCancelled) {
				// cfkd's shutdown forks no check any more (REFERENCE
				// §7.4): no try to come, and it is no failure of the
				// service; its halt stops it
				return
			}
			if c.Err() == nil { // a try cancelled is no failure of the service
				try := &probeTry{why: err.Error()}
				if nr := (*tryNotRun)(nil); errors.As(err, &nr) {
					try.short = nr.short
				}
				failed.Store(try)
			}
			select {
			case <-c.Done():
				return
			case <-time.After(wait):
			}
			wait = min(wait*2, probeInterval[1])
		}
	}()
}

func (s *Service) unprobe() {
	if s.probeFailed != nil {
		if try := s.probeFailed.Load(); try != nil && s.lc.End == lifecycle.EndNotReady {
			// `Not ready after 60s` says when, this says why (REFERENCE
			// §2.9); a try not run for cfkd's shortage (EndShort) was
			// said as the run was stopped
			s.log.WithField("pid", s.lc.Pid).Warnf("%s: its last readiness check failed: %s", s.cfg.Name, try.why)
		}
		s.probeFailed = nil
	}
	if s.probeCancel != nil {
		s.probeCancel()
		s.probeCancel = nil
	}
}

// probeClient is the http probe's client (REFERENCE §2.9): it asks the
// service itself, never through cfkd's HTTP_PROXY (the services of a host
// whose environment sets one for the outside would never be ready); a
// redirect is the answer (3xx is not 2xx: a health check redirected to
// a login page is not ready); each try is its own connection (none
// kept idle in the service between tries, nor after); and an https URL
// is reached through probeDialTLS, which does not verify the service's
// certificate.
var probeClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, DialTLSContext: probeDialTLS},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// httpTry bounds a try of an http probe: its connection, its TLS
// handshake (https) and its answer (REFERENCE §2.9).
const httpTry = 2 * time.Second

// probeDialTLS makes the connection of a try of an https probe: its
// certificate is not verified (REFERENCE §2.9), as a Kubernetes httpGet
// probe of scheme HTTPS does not: a service checked on loopback serves a
// self-signed certificate, or one for its public name, and was never
// ready (`x509: certificate signed by unknown authority`); the check
// asks whether the service answers, not who it is. The name of the URL
// is sent (SNI), so a service with several certificates picks its own.
// Its handshake is bounded by httpTry on its own: the transport dials
// apart from the request's deadline, and a port that accepts and says
// nothing must not hold a dial past its try.
func probeDialTLS(c context.Context, network, addr string) (net.Conn, error) {
	c, cancel := context.WithTimeout(c, httpTry)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(c, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(addr)
	tc := tls.Client(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	if err := tc.HandshakeContext(c); err != nil {
		conn.Close()
		var rh tls.RecordHeaderError
		switch {
		case errors.As(err, &rh) && looksLikeHTTP(rh.RecordHeader):
			return nil, errors.New("TLS handshake: the server answered in plain HTTP, not TLS (ready=http:http://... checks it so)")
		case c.Err() != nil:
			return nil, errHandshakeSlow
		}
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// errHandshakeSlow: the TLS handshake of a try was not done within
// httpTry; httpReady says so.
var errHandshakeSlow = errors.New("TLS handshake not done in time")

// looksLikeHTTP: the first bytes of a server's answer to a TLS hello
// are an HTTP/1 response's.
func looksLikeHTTP(hdr [5]byte) bool {
	return string(hdr[:]) == "HTTP/"
}

// oversizeEvery is how often a service's oversized notify datagrams are
// logged at most.
const oversizeEvery = 10 * time.Second

// probeGroup is the Setsid and EndGroup of each try of an exec: probe:
// its own process group, whatever the service's no_new_session (which
// is the service's, not its check's), killed whole when the try hangs,
// and what the try left in it killed once it exits (REFERENCE §2.9). In
// cfkd's group, as a no_new_session service's probe was, the kill of a
// hung try reached its shell alone: `sleep 100; true` left its sleep,
// one more every 30 s while the service started.
func probeGroup() (setsid, endGroup bool) { return true, true }

// probeShim is spec running a try of the exec: probe target (`/bin/sh
// -c target`) with the umask and limit_nofile of c, the run's, through
// the shim that sets them for the service's command (underShim, REFERENCE
// §2.9), without LISTEN_PID; an OPTIND that is no number dash takes is
// left out, as the shim leaves it out, whether there is a shim or not.
// Under a proxy the service has the proxy's, which cfkd does not know:
// the try has cfkd's. A hard limit that cfkd
// may no longer raise for the try's user (nofileFor: its own lowered by
// prlimit since the service started, a new cfkd after an upgrade in
// place without CAP_SYS_RESOURCE) leaves the try cfkd's limits: a probe
// does not fail where the service started: each try makes its own, in
// the probe's goroutine. nofileFor makes syscalls that do not wait.
func probeShim(c *messages.ServiceConfig, spec osproc.Spec, target string) osproc.Spec {
	argv := []string{"/bin/sh", "-c", target}
	// the try's own shell fails at its start with an OPTIND it refuses
	// (dash: `Illegal number`, exit 2), shim or none (underShim)
	spec.Env = slices.DeleteFunc(slices.Clone(spec.Env), func(kv string) bool {
		v, ok := strings.CutPrefix(kv, "OPTIND=")
		return ok && !dashNumber(v)
	})
	if c.Proxy != "" {
		spec.Argv = argv
		return spec
	}
	if c.LimitNofile != "" && nofileFor(c, spec.Credential) != nil {
		own := *c
		own.LimitNofile = ""
		c = &own
	}
	spec.Argv, spec.Env, _ = underShim(c, false, argv, spec.Env)
	if len(spec.Argv) > len(argv) {
		spec.Program = argv[0] // looked up as the service's command is
	}
	return spec
}

// httpReady: a GET answered 2xx within httpTry. A try that ran out of
// time says which step did not end (REFERENCE §2.9), not `context
// deadline exceeded`.
func httpReady(parent context.Context, url string) error {
	c, cancel := context.WithTimeout(parent, httpTry)
	defer cancel()
	var connected, gotConn atomic.Bool
	c = httptrace.WithClientTrace(c, &httptrace.ClientTrace{
		ConnectDone: func(_, _ string, err error) { connected.Store(err == nil) },
		GotConn:     func(httptrace.GotConnInfo) { gotConn.Store(true) },
	})
	req, err := http.NewRequestWithContext(c, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		// the transport's dial, apart from the request, may end first
		slowTLS := errors.Is(err, errHandshakeSlow)
		if slowTLS || parent.Err() == nil && errors.Is(c.Err(), context.DeadlineExceeded) {
			switch {
			case gotConn.Load():
				return fmt.Errorf("%s: no answer within %v", url, httpTry)
			case slowTLS || connected.Load() && req.URL.Scheme == "https":
				return fmt.Errorf("%s: TLS handshake not done within %v: does the server speak TLS on that port?", url, httpTry)
			}
			return fmt.Errorf("%s: not connected within %v", url, httpTry)
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// execReady runs the check command through the launcher (the one reaper
// of cfkd) and waits for its exit: 0 is ready. A cancelled probe kills
// it, and so does a try that has not exited within tryFor, a failed try.
// A failed try says the last line of its stderr after why it failed
// (tryStderr, REFERENCE §2.9), read until its process exits, not until
// the pipe's end: a daemon the check forked does not hold the try.
func execReady(c context.Context, l Launcher, spec osproc.Spec, tryFor time.Duration) error {
	// the pipe of its stderr is the launch's to make (Process.Stderr),
	// once it holds its fork slot: made by the try before its launch, it
	// was 2 fds held by each try waiting for its turn, beyond the fds
	// cfkd budgets, the last ones it keeps for itself included
	// (REFERENCE §7.6)
	spec.StderrPipe = true
	done := make(chan syscall.WaitStatus, 1)
	proc, err := l.Launch(spec, func(_ int, ws syscall.WaitStatus) { done <- ws })
	if err != nil {
		if short := shortage(err); short != nil {
			// not launched for want of cfkd's own fds or processes:
			// cfkd's shortage, said as a launch's (REFERENCE §2.1,
			// §2.9), not the check's answer; the probe tries again,
			// and a ready timeout while the last try was not run is
			// not the service's failure (probeShort)
			return &tryNotRun{short: short}
		}
		return err
	}
	stderr := readTryStderr(proc.Stderr)
	failed := func(why string) error {
		if line := stderr.end(); line != "" {
			return fmt.Errorf("%s: %s", why, line)
		}
		return errors.New(why)
	}
	t := time.NewTimer(tryFor)
	defer t.Stop()
	hung := false
	select {
	case ws := <-done:
		if ws.Exited() && ws.ExitStatus() == 0 {
			stderr.end()
			return nil
		}
		return failed(tryEnd(ws))
	case <-c.Done():
	case <-t.C:
		hung = true
	}
	l.Signal(proc, syscall.SIGKILL)
	<-done
	if hung {
		// c.Err() is nil then: returned, it made a check that hangs a
		// ready service
		return failed(fmt.Sprintf("did not exit within %v: killed", tryFor))
	}
	stderr.end()
	return c.Err()
}

// notified handles a sd_notify datagram of the service's process.
func (s *Service) notified(ctx actor.Context, m notifyReceived) {
	if p := s.lc.Pid; p == 0 || m.msg.Pid != p && m.msg.Pgid != p {
		// routed by the controller while its sender was the service's
		// process (or in its group), delivered after that process ended:
		// not the current run's readiness, status or watchdog ping
		s.log.WithField("pid", m.msg.Pid).Debugf("%s: notify datagram of an ended run: dropped", s.cfg.Name)
		return
	}
	if m.msg.Shared && m.msg.Uid != s.sharedUid {
		// on the socket any local user can reach (REFERENCE §2.9): only
		// the run given it, and only from its uid (a pid of another
		// user's, reused by this run, is not this run's)
		s.log.WithField("pid", m.msg.Pid).Warnf("%s: notify datagram from uid %d on the shared socket, not this run's: dropped", s.cfg.Name, m.msg.Uid)
		return
	}
	if !m.msg.Shared && m.kept && !notify.Own(m.msg.Uid) {
		// on cfkd's own socket, whose runs are root's and cfkd's user's
		// (notifyFor), and which the members of --admin-group reach
		// too: kept before the run's pid was known, it is another
		// user's process that had this pid before (pids wrap around in
		// seconds where pid_max is 32768), not this run's READY=1
		s.log.WithField("pid", m.msg.Pid).Warnf("%s: notify datagram from uid %d, sent before this run's pid was known: dropped", s.cfg.Name, m.msg.Uid)
		return
	}
	if m.msg.Oversize {
		// its fields unread, a READY=1 in it included: said, else the
		// service is stopped 'Not ready after 60s' with nothing to say
		// why (REFERENCE §2.9); once in oversizeEvery at most
		if now := time.Now(); now.Sub(s.oversizeSaid) >= oversizeEvery {
			s.oversizeSaid = now
			s.log.WithField("pid", m.msg.Pid).Warnf("%s: notify datagram dropped: over %d bytes, so none of its fields was read (READY=1, STATUS=, WATCHDOG=1 ...): send a shorter STATUS=", s.cfg.Name, notify.MaxDatagram)
		}
		return
	}
	f := m.msg.Fields
	if st, ok := f["STATUS"]; ok {
		s.notifyStatus = st
		s.log.WithField("pid", m.msg.Pid).Infof("%s: status: %s", s.cfg.Name, st)
		ctx.Send(ctx.Parent(), s.updated())
	}
	if f["STOPPING"] == "1" {
		s.log.WithField("pid", m.msg.Pid).Infof("%s says it is stopping", s.cfg.Name)
	}
	if f["RELOADING"] == "1" {
		s.log.WithField("pid", m.msg.Pid).Infof("%s says it is reloading", s.cfg.Name)
	}
	if f["READY"] == "1" && strings.TrimSpace(s.runReady) == string(messages.ReadyNotify) {
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvReady, Attempt: s.lc.Attempt})
	}
	if f["WATCHDOG"] == "1" {
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvWatchdogPing})
	}
	if v, ok := f["EXTEND_TIMEOUT_USEC"]; ok {
		if d, err := extendOf(v); err != nil {
			s.log.WithField("pid", m.msg.Pid).Warnf("%s: EXTEND_TIMEOUT_USEC=%q: %v: ignored", s.cfg.Name, v, err)
		} else {
			s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvExtendTimeout, Extend: d})
		}
	}
	if f["WATCHDOG"] == "trigger" {
		s.feed(ctx, lifecycle.Event{Kind: lifecycle.EvWatchdogTrigger})
	}
}

// maxExtend bounds what an EXTEND_TIMEOUT_USEC asks (REFERENCE §2.9).
const maxExtend = 1000 * time.Hour

// extendOf reads the value of EXTEND_TIMEOUT_USEC: microseconds, digits
// only, as sd_notify(3) says; more than maxExtend is maxExtend, also a
// number of more digits than a uint64 holds.
func extendOf(v string) (time.Duration, error) {
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, errors.New("not a number of microseconds")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil { // digits only: out of range
		return maxExtend, nil
	}
	if n > uint64(maxExtend/time.Microsecond) {
		return maxExtend, nil
	}
	return time.Duration(n) * time.Microsecond, nil
}

// tryEnd says how a failed exec: try ended (REFERENCE §2.9): `exit status
// N`, or `killed by signal N (NAME)` for a try a signal ended that cfkd
// did not send (a segfault, the OOM killer), which said `exit status -1`.
func tryEnd(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}
