package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet"
	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/internal/printable"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

// Run is cfkd's main: it returns when cfkd has shut down (nil), or why it
// could not start.
func Run(args []string, stdout, stderr io.Writer) error {
	ignored := startIgnored()
	fm := formerFromEnv() // an upgrade's former binary, or a rollback to it
	execs := execsFromEnv()
	fleetHubs := fleetHubsFromEnv()
	shCarried := shKeepsFromEnv()
	early := catchEarly()
	defer early.stop()
	survivePipes()
	f, err := parseFlags(args, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	f.startIgnored = ignored
	f.execs = execs
	f.fleetHubs = fleetHubs
	f.shKeeps = shCarried
	if f.Version {
		fmt.Fprintf(stdout, "cfkd %s\n", messages.Version)
		return nil
	}
	// an upgrade in place (REFERENCE §13); an error only when adopting
	adopt, err := adoptionFromEnv(fm, execs)
	if err != nil {
		err = adopt.fail(f, err) // returns when there is no rollback
		err = fmt.Errorf("%w: cfkd stops here; the services keep running without a supervisor (but those under a proxy, which ends them as its command pipe closes)", err)
		logAfterExec(f, err)
		return err
	}
	if f.Daemon && os.Getenv(detachedEnv) == "" && adopt == nil {
		if os.Getpid() == 1 {
			return errDetachAsInit
		}
		if err := stdioNamed(f); err != nil {
			return err
		}
		early.stop() // the parent waits for its daemon: a TERM ends it
		return detach(args, stdout, stderr, f)
	}
	ready := readiness(stderr)
	err = serve(f, ready, adopt, early)
	if err != nil {
		ready.fail(err)
		if adopt != nil && !errors.As(err, new(loggedError)) {
			logAfterExec(f, err)
		}
	}
	return err
}

// logAfterExec logs why the new cfkd of an upgrade in place stops, in the
// log the flags' log configuration names (REFERENCE §13.3): the former
// cfkd's last line there was its exec, and a detached cfkd's stderr is
// /dev/null, so that the reason was seen nowhere. A log configuration
// that cannot be read leaves stderr only; nothing is created.
func logAfterExec(f Flags, err error) {
	if _, serr := os.Stat(f.LogConfig); serr != nil {
		return
	}
	if checkObeyedFile(f.logConfigFlag(), logConfigChooses, f.LogConfig, false) != nil {
		return
	}
	log := logrus.New()
	router := logconf.NewRouter(f.Home, log, log)
	defer router.Close()
	if _, rerr := router.ReloadText(f.LogConfig, nil); rerr != nil {
		return
	}
	log.Error(errLogText(err)) // a config file's error unescaped: the log escapes it
}

// readFlags reads what the flags name (the console's address, its token
// file and admin group, --http's and its token file): serve's first step,
// which an upgrade's check runs too (checkFlags), so that the two never
// differ.
func readFlags(f Flags) (Address, *security, *httpConf, error) {
	addr, err := ParseAddress(f.Address)
	if err != nil {
		return Address{}, nil, nil, fmt.Errorf("cfkd: %w", err)
	}
	sec, err := buildSecurity(f, addr)
	if err != nil {
		return Address{}, nil, nil, err
	}
	httpConf, err := checkHTTP(f, sec)
	if err != nil {
		return Address{}, nil, nil, err
	}
	return addr, sec, httpConf, nil
}

// serve runs cfkd until it has shut down.
func serve(f Flags, ready *notifier, adopt *adoption, early *earlySignals) (err error) {
	// the new cfkd of an upgrade in place that fails before it takes the
	// services over rolls back to the former binary (adoption.fail): the
	// errors up to the restore go through it (before any cleanup, which
	// would close what the former cfkd adopts again)
	addr, sec, httpConf, err := readFlags(f)
	if err != nil {
		return adopt.fail(f, err)
	}
	// an upgrade's new cfkd keeps the socket as the former one shared it
	if sec.group != nil && adopt == nil {
		if err := groupUnreachable(f.AdminGroup, *sec.group, os.Geteuid(), os.Getegid, os.Getgroups, capChown); err != nil {
			return err
		}
	}
	// the loggers are set up once the home is (logconf.NewRouter); the
	// fleet's member keeps its own
	log, svcLog := logrus.New(), logrus.New()
	// the fleet's files are checked (their paths, their content) before
	// anything is written, as the token files are (readFlags): a refused
	// start leaves no home, no log.config. The new cfkd of an upgrade in
	// place runs on without its fleet rather than leave its services
	// unsupervised (REFERENCE §13.4): the check read the same files, which
	// changed since
	fl, fleetErr := newFleet(f.Fleet, log)
	if fleetErr != nil && adopt == nil {
		return fleetErr
	}
	// a start refused before it serves removes what it made (REFERENCE
	// §7.4): the directories it made last, once the lock is released. The
	// new cfkd of an upgrade in place made nothing of its home
	made := &startMade{}
	if adopt == nil {
		defer made.undoDirs()
	}
	if err := made.mkdirHome(f.Home); err != nil {
		return adopt.fail(f, fmt.Errorf("cfkd: home: %w", err))
	}
	if err := checkHome(f.Home); err != nil {
		return adopt.fail(f, err)
	}
	if adopt == nil && f.Config != "" { // an upgrade's new cfkd loads none
		if err := checkObeyedFile("-c", configChooses, f.Config, false); err != nil {
			return fmt.Errorf("cfkd: %w", err)
		}
	}
	if adopt == nil { // an upgrade's new cfkd keeps the socket it is given
		if err := checkSocketDir(addr); err != nil {
			return err
		}
	}
	var lk *lock
	var stale int
	if adopt != nil {
		lk, err = adopt.lock(filepath.Join(f.Home, "lock"))
	} else {
		lk, stale, err = takeLock(filepath.Join(f.Home, "lock"))
	}
	if err != nil {
		return adopt.fail(f, fmt.Errorf("cfkd: %w", err))
	}
	defer lk.release()
	if adopt == nil {
		made.locked(f.Home)
		defer made.undoHome() // before the lock is released, after the log is closed
	}
	// once the home is ours only: a cfkd refused by the lock of another
	// made that one's home 0700, its --admin-group members locked out; the
	// new cfkd of an upgrade keeps it as the former one made it (0710
	// with --admin-group: shareSocket is not run again)
	if adopt == nil {
		if err := os.Chmod(f.Home, 0o700); err != nil {
			return fmt.Errorf("cfkd: home: %w", err)
		}
	}
	os.Setenv("CFKD_HOME", homeForServices(f.Home))

	router := logconf.NewRouter(f.Home, log, svcLog)
	defer router.Close()
	// the new cfkd of an upgrade applies the text in force, not the file
	// (REFERENCE §13.2): a file moved away since must not stop it after
	// the exec, its services unsupervised
	if adopt.logConfig() == nil {
		if err := checkObeyedFile(f.logConfigFlag(), logConfigChooses, f.LogConfig, true); err != nil {
			return fmt.Errorf("cfkd: %w", err)
		}
		wrote, err := logconf.EnsureFileMade(f.LogConfig)
		if err != nil {
			return fmt.Errorf("cfkd: log config: %w", err)
		}
		if wrote {
			made.file(f.LogConfig)
		}
	}
	logText := &logInForce{flag: f.logConfigFlag()}
	logErr := logText.load(router, f.LogConfig, adopt.logConfig())
	if logErr != nil && adopt == nil {
		return fmt.Errorf("cfkd: log config: %w", logErr)
	}
	if logErr != nil {
		// the new cfkd of an upgrade in place: a destination lost between
		// the check and the exec must not leave the services unsupervised
		// (REFERENCE §13.4); the defaults until a SIGUSR1
		if err := logText.load(router, f.LogConfig, []byte(logDefaultsText)); err != nil {
			return adopt.fail(f, fmt.Errorf("cfkd: log config: %w (and the defaults: %v)", logErr, err))
		}
	}
	adopt.logTo(log, router)
	log.Infof("cfkd %s starting (pid %d, home %s)", messages.Version, os.Getpid(), f.Home)
	// from here on every exit ends the log with `cfkd exiting` (REFERENCE
	// §7.4), a refused start's after its reason: a watcher of the log
	// waits for that line
	defer func() {
		if err != nil {
			// a stop on an error (a refused -c FILE, a fleet that cannot
			// start) loses what a stalled destination holds as a
			// shutdown does, and says so as it does
			warnUnwrittenAtExit(log, router)
			err = endLog(log, err)
		}
	}()
	if stale != 0 {
		log.Warnf("took over the lock of pid %d, which is gone", stale)
	}
	newLauncher := osproc.New
	if adopt == nil {
		// whether or not a lock was left: a crashed cfkd may have left none
		killLeftovers(f.Home, stale, log, orphanGrace)
		removeStaleState(f.Home, log)
	} else {
		newLauncher = osproc.NewForAdoption // no wait4 before every child is adopted
	}
	// what /bin/sh does with the variables whose names are not a
	// shell's (REFERENCE §2.6), learned once, before the launcher's
	// reaper runs (the probe waits for its own child), or carried by an
	// upgrade's exec
	f.shKeeps = shKeeps(adopt != nil, f.shKeeps)
	launcher, err := newLauncher(log)
	if err != nil {
		return adopt.fail(f, fmt.Errorf("cfkd: %w", err))
	}
	defer launcher.Close()
	fdLimit, room := fdRoom(log)
	if err := osproc.GrowFdTable(fdLimit); err != nil {
		log.WithError(err).Warn("open files: the fd table is grown later, as fds are taken")
	}
	trim := newTrimmer(trimDelay, nil)
	trim.idle = newIdleGC()
	// GOGC by the live heap's size (gcpolicy.go)
	defer startGCPolicy(os.Getenv("GOGC"), trim.idle).stop()
	trim.touch() // an idle cfkd sleeps from trimDelay after its start on
	defer trim.stop()
	orphans := newOrphanKiller(launcher, log, orphanGrace)
	orphans.activity = trim.touch
	notifySocket := filepath.Join(f.Home, "notify")
	if !notify.Supported { // REFERENCE §11: ready=notify is Linux's
		notifySocket = ""
	}
	gate := newFleetGate(f.Fleet, fl)
	sharedFile, sharedAddr, sharedUids := adopt.notifyShared()
	up := &upgrader{f: f, log: log, fleet: gate, router: router, logText: logText, launcher: launcher, flush: orphans.Flush, serving: make(chan struct{}),
		startFailed: make(chan struct{}), outcome: &outcome{execs: f.execs}}
	tree, err := actors.Start(actors.Options{
		Fleet: fleetHandler(gate), Upgrade: up.hook, Upgraded: up.outcome.get,
		Launcher: orphans, Log: log, ServiceLog: svcLog, Lines: router, Events: router, Version: "cfk " + messages.Version,
		AfterBurst: trim.now, AfterBigReply: trim.touch, ServiceRoom: room, FdLimit: fdLimit, ShKeepsOtherNames: f.shKeeps,
		NotifySocket: notifySocket, NotifyFile: adopt.notifyFile(),
		NotifyShared: sharedAddr, NotifySharedFile: sharedFile, NotifyUids: sharedUids,
	})
	if err != nil {
		return adopt.fail(f, fmt.Errorf("cfkd: %w", err))
	}
	defer tree.Stop()
	router.OnDropNote(tree.CfkdEvent) // "N lines dropped" is an event too (REFERENCE §1.6)
	done := make(chan struct{})
	sub := tree.System.EventStream.Subscribe(func(ev any) {
		if _, ok := ev.(messages.ShutdownCompleted); ok {
			close(done)
		}
	})
	defer tree.System.EventStream.Unsubscribe(sub)

	// signals are handled before anything can reach cfkd (earlySignals
	// holds them until then): a USR1 sent as soon as the socket accepts
	// must not meet its default action (exit). A new cfkd of an upgrade
	// takes them once it has adopted the services, or begins to roll
	// back: a shutdown is refused until then (REFERENCE §13.5), and one
	// that came first must not shut down a tree that has no service yet.
	var stopRelays []func()
	defer func() {
		for _, stop := range stopRelays {
			stop()
		}
	}()
	var signalled atomic.Bool // a signal asked for the shutdown
	relayed := false
	relay := func() {
		if relayed {
			return
		}
		relayed = true
		stopRelays = append(stopRelays,
			relaySignals(tree, router, logText, []*rights.Store{sec.policy.Tokens, httpConf.store()}, f, log, &signalled),
			relayUpgradeSignal(tree, log))
		early.handOver()
	}
	if adopt == nil {
		relay()
	}
	// the new cfkd of an upgrade, once it has adopted the services or
	// rolls back: the signals held until then are refused (REFERENCE
	// §13.5), USR1 handed over
	relayRefusing := func() {
		early.refuse = func(s os.Signal) {
			log.Warnf("signal %v during the upgrade: refused (send it again now)", s)
		}
		relay()
	}

	// bind first (a busy address fails fast), accept only once the config
	// is loaded: a client that connects meanwhile waits in the backlog
	// and never sees a half-configured cfkd.
	var ln net.Listener
	if adopt != nil {
		ln, err = adopt.listener()
	} else {
		ln, err = listen(addr)
	}
	if err != nil {
		return adopt.fail(f, fmt.Errorf("cfkd: %w", err))
	}
	addr = addr.bound(ln) // port 0: what is said and logged is the real port
	if sec.group != nil && adopt == nil {
		warnings, err := shareSocket(addr.Addr, f.Home, *sec.group)
		if err != nil {
			ln.Close()
			return err
		}
		sec.warnings = append(sec.warnings, warnings...)
	}
	var httpd *httpServer
	if adopt != nil {
		if httpd, err = adopt.http(httpConf); err == nil {
			err = adoptFault("listeners")
		}
		if err != nil {
			err = adopt.fail(f, fmt.Errorf("cfkd: %w", err))
			ln.Close()
			return err
		}
	} else if httpConf != nil {
		if httpd, err = listenHTTP(httpConf); err != nil {
			ln.Close()
			return fmt.Errorf("cfkd: %w", err)
		}
	}
	made.keep() // bound: from here on a failure is not a refused start
	// what a rollback after the takeover exports (rollback_taken.go)
	tk := func() taken {
		return taken{tree: tree, lk: lk, ln: ln, addr: addr, httpd: httpd, relay: relayRefusing, done: done, sweep: orphans.sweep}
	}
	if adopt != nil {
		if err := adopt.restore(tree, launcher, log); err != nil {
			// the tree has taken part of them: a rollback exports it
			// (rollback_taken.go); else nothing is stopped, the services
			// run on, unsupervised
			err = adopt.failTaken(up, f, tk(), fmt.Errorf("cfkd: %w", err))
			ln.Close()
			httpd.close()
			return err
		}
		adopt.said(up.outcome)
		relayRefusing()
	} else if f.Config != "" {
		warn := func(at, msg string) {
			// msg as it is to the log, which escapes it (REFERENCE §6.2)
			log.Warn(at + ": " + msg)
			if !signalled.Load() { // else the shutdown's doing, not the file's (below)
				ready.warn(printable.Unambiguous(at + ": " + msg))
			}
		}
		err := loadConfig(tree, f.Config, warn, done)
		if signalled.Load() {
			// a TERM (or INT, HUP, QUIT) while the file loaded: a line that
			// failed, or whose services did not all start, did so for the
			// shutdown, the file is not at fault; and cfkd does not run on
			// (REFERENCE §7.3)
			closeConsole(ln, sec.policy)
			httpd.close()
			if err != nil {
				log.Infof("shut down by a signal while loading %s (%s)", f.Config, errLogText(err))
			} else {
				log.Infof("shut down by a signal while loading %s", f.Config)
			}
			// the signal's shutdown was refused if an upgrade (SIGUSR2)
			// waited for cfkd to serve: it fails now, and the shutdown is
			// asked again (REFERENCE §7.4)
			if up.notServing() {
				shutdown(tree, log, "the config file failed after a signal")
			}
			ready.fail(fmt.Errorf("cfkd: the detached cfkd (pid %d) was shut down by a signal while it loaded %s", os.Getpid(), f.Config))
			<-done
			orphans.sweep()
			warnUnwrittenAtExit(log, router)
			log.Info("cfkd exiting") // the last line of every shutdown (REFERENCE §7.4)
			return nil
		}
		if err != nil {
			closeConsole(ln, sec.policy)
			httpd.close()
			// the error unescaped: the log escapes it (REFERENCE §6.2)
			log.WithError(errors.New(errLogText(err))).Error("config file refused: shutting down")
			up.notServing() // an upgrade waiting to serve would refuse the shutdown
			shutdown(tree, log, "config error")
			<-done
			orphans.sweep()
			return fmt.Errorf("cfkd: %w", err)
		}
		log.Infof("loaded %s", f.Config)
	}
	if fl != nil {
		if err := fl.Serve(tree); err != nil && adopt != nil {
			fleetErr = err // its services are not stopped for it (REFERENCE §13.4)
		} else if err != nil {
			closeConsole(ln, sec.policy)
			log.WithError(err).Error("fleet cannot start: shutting down")
			up.notServing()
			shutdown(tree, log, "fleet error")
			<-done
			orphans.sweep()
			return fmt.Errorf("cfkd: %w", err)
		} else {
			fl.Back(f.fleetHubs) // the hubs the former cfkd told it left
			// the hubs a cfkd shut down on this home told: checked first
			fl.BackFromShutdown(takeFleetHubs(f.Home, log), nil)
		}
		defer fl.Stop()
	} else {
		takeFleetHubs(f.Home, log) // no member to tell them: removed
	}
	for _, w := range sec.warnings {
		log.Warnf("admin console on %s: %s", addr, w)
	}
	// start-up's garbage (the scan for leftovers, protoactor's former
	// registry, the config) is collected before the first client comes:
	// left, it would make the first requests pay for a GC.
	runtime.GC()
	var console any
	err = nil
	if adopt != nil {
		err = adoptFault("console")
	}
	if err == nil {
		console, err = tree.System.Root.RequestFuture(tree.Controller,
			actors.StartConsole{Listener: ln, Policy: sec.policy}, 5*time.Second).Result()
	}
	if err != nil {
		// the new cfkd of an upgrade rolls back (rollback_taken.go)
		err = adopt.failTaken(up, f, tk(), fmt.Errorf("cfkd: console: %w", err))
		ln.Close()
		httpd.close()
		return err
	}
	adopt.served()
	if logErr != nil { // once the console serves, as the fleet's below
		log.Errorf("log config: the configuration in force could not be applied after the upgrade in place: %v: "+
			"cfkd logs with the defaults (cfkd.log in its home) until a SIGUSR1 reloads %s", logErr, f.LogConfig)
	}
	if fleetErr != nil { // once the console serves: an `events` asked again may see it
		gate.fail(f.Fleet, fleetErr, log)
	}
	if why := adopt.rolledBack(); why != "" { // an event too (REFERENCE §13.4)
		log.Errorf("upgrade: %s", rolledBackText(why))
	}
	idle := "none"
	if sec.policy.IdleTimeout > 0 {
		idle = sec.policy.IdleTimeout.String()
	}
	conns := fmt.Sprintf("at most %d connections", sec.policy.MaxConnections)
	if share := int(fdLimit / 4); fdLimit > 0 && share < sec.policy.MaxConnections {
		conns = fmt.Sprintf("at most %d connections (a quarter of the open files limit)", max(share, 1))
	}
	log.Infof("admin console listening on %s (%s; %s, idle timeout %s)", addr, sec.summary, conns, idle)
	said := addr.String()
	if httpd != nil {
		httpd.serve(httpConf, tree, router, f, log, trim)
		said += ", status page on " + httpd.url
	}
	up.set(tree, console.(*actor.PID), lk, ln, addr, httpd)

	ready.ok(said)
	<-done
	gate.endRequests(fleet.WhyHubShutDown)
	// the next cfkd on this home tells them it is back (fleethubs.go)
	saveFleetHubs(f.Home, gate.left(fleet.WhyHostShutDown), log)
	httpd.close()
	if _, err := tree.System.Root.RequestFuture(console.(*actor.PID), actors.DrainConsole{}, 10*time.Second).Result(); err != nil {
		log.WithError(err).Warn("console did not drain in time")
	}
	orphans.sweep()
	warnUnwrittenAtExit(log, router)
	log.Info("cfkd exiting")
	return nil
}

// loggedError is an error that serve logged, then `cfkd exiting`: Run
// does not log it again after that line.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// endLog ends the log of a cfkd that stops on err once its log is set up:
// err, then `cfkd exiting`, the last record of every exit (REFERENCE
// §7.4).
func endLog(log *logrus.Logger, err error) error {
	log.Errorf("cfkd stops: %s", strings.TrimPrefix(errLogText(err), "cfkd: ")) // unescaped: the log escapes it (REFERENCE §6.2)
	log.Info("cfkd exiting")
	return loggedError{err}
}

// exitDrain bounds the wait of a shutdown for the log destinations to
// take their records, before its last record: a file is closed after
// 1 s (REFERENCE §6.2).
const exitDrain = time.Second

// warnUnwrittenAtExit says, before a shutdown's `cfkd exiting`, which log
// destinations did not take their records within exitDrain (a FIFO whose
// reader stalled), with how many the exit loses (REFERENCE §6.2, §7.4):
// the close that follows said it on stderr alone, once cfkd's own
// destination was closed, so that under -d (stderr on /dev/null) the loss
// was said nowhere. The drain gives them up: this is the one place the
// loss is said, with its count (exact but for stdout and stderr), and
// the close does not wait for them again.
func warnUnwrittenAtExit(log *logrus.Logger, r *logconf.Router) {
	for _, w := range r.DrainToClose(exitDrain) {
		n := fmt.Sprint(w.Records)
		if !w.Exact { // stdout, stderr: part of the write under way may be taken
			n = "up to " + n
		}
		log.WithField("destination", w.Destination).Warnf("shutdown: a log destination did not take its records within %v: %s records lost", exitDrain, n)
	}
}

// closeConsole closes the admin listener of a cfkd that shuts down before
// its console serves: the clients that connected meanwhile, waiting in
// its backlog, are answered `ERROR: cfkd is shutting down` (REFERENCE
// §7.4); the close alone reset them.
func closeConsole(ln net.Listener, policy *actors.ConsolePolicy) {
	actors.RefuseBacklog(ln, policy, actors.ErrShuttingDown)
	ln.Close()
}

// relaySignals turns OS signals into messages: HUP/INT/TERM/QUIT →
// `command shutdown` to the controller (unless trapped), USR1 → reload of
// the log configuration and of the token files (the console's,
// --http-token's). QUIT is a shutdown as in supervisord, not Go's default
// (a dump of the goroutines, exit 2, the services left running, or killed
// by the kernel when cfkd is a container's PID 1): it is the STOPSIGNAL of
// images such as nginx's, and Ctrl-\ in `docker run -it`.
func relaySignals(tree *actors.Tree, router *logconf.Router, logText *logInForce, tokens []*rights.Store, f Flags, log *logrus.Logger, signalled *atomic.Bool) (stop func()) {
	sigs := make(chan os.Signal, 4)
	// with -t the signals are caught and dropped, not set to SIG_IGN: an
	// ignored disposition survives exec, so every service would ignore
	// SIGTERM and need SIGKILL to stop.
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	quit := make(chan struct{})
	// the controller's answer to a signal's shutdown goes to an actor of
	// its own: the relay waits for nothing
	answers := tree.System.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &shutdownAnswers{log: log} }))
	// the reloads run in a goroutine of their own: a file on a hung mount
	// must not keep SIGTERM waiting; USR1s that come during a reload make
	// one more
	reload := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-quit:
				return
			case <-reload:
			}
			log.Info("Reloading log config")
			if err := logText.load(router, f.LogConfig, nil); errors.Is(err, logconf.ErrClosed) {
				// the shutdown drained the destinations (REFERENCE
				// §7.4): nothing is reopened, and nothing is said, as
				// `cfkd exiting` is the last record
			} else if err != nil {
				log.WithError(err).Error("log config not reloaded: keeping the old one")
				// the kept destination may be the broken one (a file
				// whose directory was removed): say it on stderr too,
				// queued: a stderr that does not take it must not hold
				// this goroutine, nor every reload after it
				// (REFERENCE §7.3, §7.4)
				fmt.Fprintf(nowait.Stderr, "cfkd: log config not reloaded: %v (keeping the old one)\n", err)
			}
			for _, t := range tokens {
				reloadTokens(t, log)
			}
		}
	}()
	go func() {
		for {
			select {
			case <-quit:
				return
			case s := <-sigs:
				if s == syscall.SIGUSR1 {
					select {
					case reload <- struct{}{}:
					default: // one is queued already
					}
					continue
				}
				if f.Trap {
					log.Infof("signal %v ignored (-t)", s)
					continue
				}
				if f.ignoredAtStart(s) {
					log.Infof("signal %v ignored: cfkd was started with it ignored (nohup)", s)
					continue
				}
				signalled.Store(true)
				shutdownFor(tree, log, "signal "+s.String(), answers)
			}
		}
	}()
	return func() { signal.Stop(sigs); close(quit); tree.System.Root.Stop(answers) }
}

// reloadTokens re-reads the token file (SIGUSR1, REFERENCE §5.3); a
// refused file keeps the tokens there were.
func reloadTokens(tokens *rights.Store, log *logrus.Logger) {
	if tokens == nil {
		return
	}
	t, err := tokens.Reload()
	if err != nil {
		why := strings.TrimPrefix(err.Error(), "cfkd: ") // said once, first
		log.WithField("error", why).Error("tokens not reloaded: keeping the old ones")
		fmt.Fprintf(nowait.Stderr, "cfkd: tokens not reloaded: %s (keeping the old ones)\n", why)
		return
	}
	log.Infof("reloaded %d tokens from %s", t.Len(), tokens.Path())
}

// shutdown sends `command shutdown` to the controller without waiting: the
// caller waits for ShutdownCompleted.
func shutdown(tree *actors.Tree, log *logrus.Logger, why string) {
	shutdownFor(tree, log, why, nil)
}

// shutdownFor is shutdown with the controller's answer sent to answers
// (nil: dropped).
func shutdownFor(tree *actors.Tree, log *logrus.Logger, why string, answers *actor.PID) {
	log.Infof("shutdown requested (%s)", why)
	cmd := messages.ControlCommand{Verb: messages.VerbShutdown}
	if answers == nil {
		tree.System.Root.Send(tree.Controller, cmd)
		return
	}
	tree.System.Root.RequestWithCustomSender(tree.Controller, cmd, answers)
}
