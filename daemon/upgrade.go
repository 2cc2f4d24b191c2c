package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// upgrader runs an upgrade in place (REFERENCE §13): `command upgrade
// [PATH]` (the controller's hook) and SIGUSR2. It runs in a goroutine of
// its own, never in an actor; the tree is driven by messages.
//
//  1. The state as it is (nothing frozen) is written to HOME/upgrade.state
//     and PATH --check-upgrade FILE runs through the launcher (the one
//     reaper), in a session of its own, killed with its group after
//     checkTimeout, and what it left in its group killed at its exit:
//     anything but a cfkd that prints its check line and exits 0 is an
//     ERROR, and nothing changed.
//  2. The launches begun meanwhile are waited for, nothing frozen (the
//     state asked again). Freeze: the services answer their state and
//     stash what follows;
//     the launcher stops reaping and reading output, and hands over its
//     pipes; the services answer again (with the exits reaped meanwhile).
//  3. The final state is written, close-on-exec is cleared on exactly the
//     fds it names, the log is synced, the asker gets OK, the console is
//     drained (every client gets its reply, or a clean close; the listener
//     stays open: new clients wait in its backlog), and cfkd execs PATH.
//     If the exec fails, everything thaws and cfkd goes on.
type upgrader struct {
	f        Flags
	log      *logrus.Logger
	router   *logconf.Router
	logText  *logInForce
	launcher *osproc.Launcher
	fleet    *fleetGate // a hub's requests in flight are answered before the exec
	// flush tells the services every exit reaped before the freeze that
	// still waits for its orphan scan (orphanKiller.Flush)
	flush func(within time.Duration) bool

	running atomic.Bool // an upgrade runs (the controller refuses a second one too)
	outcome *outcome    // what the last one did (`command upgraded`)

	// serving is closed once serve has set what follows: an upgrade asked
	// as soon as the console accepts waits for it (up to startWait)
	serving chan struct{}
	// startFailed is closed when cfkd will not serve (its -c FILE failed,
	// notServing): an upgrade waiting for it to serve fails at once
	startFailed     chan struct{}
	startFailedOnce sync.Once

	runMu sync.Mutex    // guards what follows (begin, end)
	runN  int           // upgrades under way
	idle  chan struct{} // closed when runN drops to 0
	asked bool          // an upgrade was asked since cfkd started

	mu      sync.Mutex // guards what serve sets once it has it
	tree    *actors.Tree
	console *actor.PID
	lk      *lock
	ln      net.Listener
	addr    Address
	httpd   *httpServer
}

// checkTimeout bounds the check of a new binary; askTimeout the answers
// of the tree during the upgrade; flushWait the orphan scans of the exits
// reaped before the freeze (orphanKiller.Flush).
var (
	checkTimeout = 10 * time.Second
	askTimeout   = 30 * time.Second
	flushWait    = 5 * time.Second
)

// errFlush refuses an upgrade whose orphan scans and terminations
// (orphanKiller.Flush) are not over within flushWait.
func errFlush() error {
	return fmt.Errorf("upgrade: the scan for the orphans of services stopped just now, or their ending, did not end in %v: try again", flushWait)
}

// stateFile is where the state is written.
func (u *upgrader) stateFile() string { return filepath.Join(u.f.Home, "upgrade.state") }

// set gives the upgrader what serve made once it serves.
func (u *upgrader) set(tree *actors.Tree, console *actor.PID, lk *lock, ln net.Listener, addr Address, httpd *httpServer) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.tree, u.console, u.lk, u.ln, u.addr, u.httpd = tree, console, lk, ln, addr, httpd
	close(u.serving)
}

// startWait bounds how long an upgrade asked while cfkd starts waits for
// it to serve.
const startWait = 10 * time.Second

// hook is the controller's Options.Upgrade.
func (u *upgrader) hook(path string, answer func(messages.Reply)) {
	if !u.running.CompareAndSwap(false, true) {
		answer(messages.ErrorReply(errors.New("an upgrade is already under way")))
		return
	}
	u.begin()
	go func() {
		defer u.end() // after the answer: notServing waits for it to be sent
		err := u.run(path, answer)
		// before the answer: its client may ask again as soon as it reads it
		u.running.Store(false)
		if err != nil {
			u.log.WithError(err).Error("upgrade refused: cfkd goes on unchanged")
			answer(messages.ErrorReply(err))
		}
	}()
}

// run upgrades to path; it returns only on failure (answer not called),
// or not at all.
func (u *upgrader) run(path string, answer func(messages.Reply)) error {
	select { // the console accepts a moment before serve has told us all
	case <-u.serving:
	case <-u.startFailed:
	case <-time.After(startWait):
	}
	u.mu.Lock()
	tree, console := u.tree, u.console
	u.mu.Unlock()
	if tree == nil || console == nil {
		return errors.New("upgrade: cfkd is still starting")
	}
	path, err := binaryPath(path)
	if err != nil {
		return err
	}
	// it runs as cfkd's user, with cfkd's every service: a file another
	// user could change or put in its place between its check and its
	// exec would be their program (REFERENCE §13.1, as -c's file, §7.2)
	if err := checkObeyedFile("upgrade", "the program that cfkd execs", path, false); err != nil {
		return err
	}
	u.log.Infof("upgrade to %s: checking it", path)
	ex, err := u.exportUnfrozen(tree)
	if err != nil {
		return err
	}
	st, files, err := u.state(ex, nil)
	if err != nil {
		return err
	}
	closeFiles(files)
	// run returns only when the upgrade failed: the state it wrote (every
	// declaration, add_env values included) goes with it, whatever step
	// failed (REFERENCE §13.4: a failure before the exec changes nothing)
	defer os.Remove(u.stateFile())
	if err := upgrade.Write(u.stateFile(), st); err != nil {
		return err
	}
	version, err := u.check(path, u.stateFile())
	if err != nil {
		return err
	}
	// the launches begun while the check ran (a `start all` asked just
	// after the upgrade) are waited for here, nothing frozen: the freeze
	// waits for every launch under way, and the services it froze first
	// would wait with it, their exits and timers held, every change
	// refused (REFERENCE §13.3)
	if _, err := u.exportUnfrozen(tree); err != nil {
		return err
	}
	// the orphans of services stopped just now being ended (an orphan
	// that ignores SIGTERM gets its SIGKILL 2s later): waited for here,
	// nothing frozen, so that the freeze, which must wait for them too
	// (the exec would end that wait, and the orphan run on), is short. A
	// mass stop under way may keep them going: then the freeze waits
	// (REFERENCE §7.5, §13.3)
	if u.flush != nil {
		u.flush(flushWait)
	}
	// the hubs are told before the freeze: one that does not answer (a
	// hub stalled, its connection still open) would hold the services
	// frozen for the whole bound of the wait (REFERENCE §12.3, §13.3)
	hubs := u.fleet.left(fleet.WhyHostUpgraded)
	u.log.Infof("upgrade: %s is cfkd %s: freezing", path, version)

	// 2. freeze
	st, files, copyVar, err := u.freeze(tree)
	if err != nil {
		u.fleet.stay(hubs) // told it was leaving
		return err
	}

	// 3. exec
	u.log.Infof("upgrade: exec %s (cfkd %s → %s; %d services, %d fds cross)", path, messages.Version, version, len(st.Services), len(st.Fds()))
	answer(messages.Reply{Lines: []string{"upgrading to cfkd " + version}})
	// the new cfkd does not carry a hub's requests on: answered now
	u.fleet.endRequests(fleet.WhyHubUpgraded)
	if _, err := tree.System.Root.RequestFuture(console, actors.DrainConsole{KeepListener: true}, 3*time.Second).Result(); err != nil {
		u.log.WithError(err).Warn("upgrade: the console did not drain in time")
	}
	// bounded: a stalled destination must not hold the services frozen
	if w := u.router.Drain(2 * time.Second); len(w) > 0 {
		warnUnwritten(u.log, u.router, w)
	}
	env := append(withoutVar(os.Environ(), upgrade.Env, execsEnv, stateFdEnv, shKeepsEnv), upgrade.Env+"="+u.stateFile(), copyVar, ignoredVar(u.f.startIgnored), execsVar(u.f.execs), shKeepsVar(u.f.shKeeps))
	env = withFleetHubs(env, hubs) // the new cfkd tells them it is back
	// this binary, for the new cfkd to fall back to if it fails before it
	// takes the services over (rollback.go)
	self, selfVar := openFormer(u.log)
	if self != nil {
		env = append(withoutVar(env, formerEnv), selfVar)
		files = append(files, self)
	}
	err = execInPlace(path, os.Args, env)
	// still here: the exec failed, cfkd goes on
	u.log.WithError(err).Errorf("upgrade: exec %s failed: cfkd goes on unchanged", path)
	u.fleet.stay(hubs) // told it was leaving
	u.outcome.set(upgradedExecFailed, fmt.Sprintf("upgrade: exec %s failed: %v: cfkd goes on unchanged", path, err))
	setInherit(st.Fds(), false)
	closeFiles(files)
	u.thaw(tree, true)
	tree.System.Root.Send(console, actors.ResumeConsole{})
	return nil // answered already
}

// freeze freezes the tree and the launcher and writes the final state,
// close-on-exec cleared on the fds it names: the state, the dups it made
// and its copy (closed if the exec does not happen), and stateFdEnv's
// entry naming that copy (statecopy.go). On error everything is thawed
// already.
func (u *upgrader) freeze(tree *actors.Tree) (*upgrade.State, []*os.File, string, error) {
	if _, err := u.export(tree, true); err != nil {
		u.thaw(tree, false)
		return nil, nil, "", err
	}
	pipes := u.launcher.Freeze()
	// a datagram read from now on would reach a service after its final
	// export: it waits in the socket for the new cfkd
	tree.PauseNotify()
	if u.flush != nil && !u.flush(flushWait) {
		u.thaw(tree, true)
		return nil, nil, "", errFlush()
	}
	ex, err := u.export(tree, true)
	if err != nil {
		u.thaw(tree, true)
		return nil, nil, "", err
	}
	st, files, err := u.state(ex, pipes)
	var raw []byte
	if err == nil {
		if raw, err = upgrade.Encode(st); err != nil {
			err = fmt.Errorf("upgrade state: %w", err)
		}
	}
	if err == nil {
		err = upgrade.WriteBytes(u.stateFile(), raw)
	}
	var copyVar string
	if err == nil {
		var cp *os.File
		if cp, copyVar, err = stateCopy(u.f.Home, raw, u.f.execs); err == nil {
			files = append(files, cp)
		}
	}
	if err == nil {
		err = setInherit(st.Fds(), true)
	}
	if err != nil {
		if st != nil {
			setInherit(st.Fds(), false)
		}
		closeFiles(files)
		u.thaw(tree, true)
		return nil, nil, "", err
	}
	return st, files, copyVar, nil
}

// exportUnfrozen asks the tree for its state, freezing nothing: each
// service answers once its launch under way, if any, has its outcome.
func (u *upgrader) exportUnfrozen(tree *actors.Tree) (actors.Exported, error) {
	began := time.Now()
	ex, err := u.export(tree, false)
	if err != nil && ex.Err == nil {
		// no answer in time (a service in a user lookup that hangs):
		// the export is cut short, or it would refuse every later
		// upgrade ("an export is under way") until the lookup ends
		u.thaw(tree, false)
	}
	if took := time.Since(began); err == nil && took >= time.Second {
		u.log.Infof("upgrade: the services answered in %v (each once its launch under way, if any, had its outcome)", took.Round(time.Millisecond))
	}
	return ex, err
}

// export asks the tree for its state.
func (u *upgrader) export(tree *actors.Tree, freeze bool) (actors.Exported, error) {
	res, err := tree.System.Root.RequestFuture(tree.Controller, actors.ExportState{Freeze: freeze}, askTimeout).Result()
	if err != nil {
		return actors.Exported{}, fmt.Errorf("upgrade: the services did not answer: %w", err)
	}
	ex, ok := res.(actors.Exported)
	if !ok {
		return actors.Exported{}, fmt.Errorf("upgrade: unexpected answer %T", res)
	}
	if ex.Err != nil {
		return ex, fmt.Errorf("upgrade refused: %w", ex.Err)
	}
	return ex, nil
}

// thaw undoes a freeze: the launcher (when it was frozen), then the tree.
func (u *upgrader) thaw(tree *actors.Tree, launcher bool) {
	if launcher {
		u.launcher.Thaw()
		tree.ResumeNotify()
	}
	if _, err := tree.System.Root.RequestFuture(tree.Controller, actors.ThawState{}, askTimeout).Result(); err != nil {
		u.log.WithError(err).Error("upgrade: the tree did not thaw in time")
	}
}

// state builds the state document of ex and pipes; files are the dups of
// the listeners it names (to be closed if the exec does not happen).
func (u *upgrader) state(ex actors.Exported, pipes []osproc.FrozenPipe) (*upgrade.State, []*os.File, error) {
	u.mu.Lock()
	tree, lk, ln, addr, httpd := u.tree, u.lk, u.ln, u.addr, u.httpd
	u.mu.Unlock()
	st := &upgrade.State{
		CfkdVersion: messages.Version, Pid: os.Getpid(), Written: time.Now(),
		Home: u.f.Home, LogConfig: u.f.LogConfig, LogConfigText: string(u.logText.get()),
		Lock: int(lk.f.Fd()), Services: ex.Services, Proxies: ex.Proxies, Pipes: pipes,
	}
	var files []*os.File
	admin, err := listenerFile(ln)
	if err != nil {
		return nil, nil, fmt.Errorf("upgrade: admin listener: %w", err)
	}
	files = append(files, admin)
	st.Admin = &upgrade.Listener{Fd: upgrade.FdOf(admin), Network: addr.Network, Addr: addr.Addr}
	if httpd != nil {
		h, err := listenerFile(httpd.ln)
		if err != nil {
			closeFiles(files)
			return nil, nil, fmt.Errorf("upgrade: http listener: %w", err)
		}
		files = append(files, h)
		st.HTTP = &upgrade.Listener{Fd: upgrade.FdOf(h), Network: "tcp", Addr: httpd.ln.Addr().String()}
	}
	if tree != nil {
		nf, err := tree.NotifyFile()
		if err != nil {
			closeFiles(files)
			return nil, nil, fmt.Errorf("upgrade: notify socket: %w", err)
		}
		if nf != nil {
			files = append(files, nf)
			st.Notify = &upgrade.Listener{Fd: upgrade.FdOf(nf), Network: "unixgram", Addr: filepath.Join(u.f.Home, "notify")}
		}
		sf, addr, uids, err := tree.NotifyShared()
		if err != nil {
			closeFiles(files)
			return nil, nil, fmt.Errorf("upgrade: shared notify socket: %w", err)
		}
		if sf != nil {
			files = append(files, sf)
			st.NotifyShared = &upgrade.Listener{Fd: upgrade.FdOf(sf), Network: "unixgram", Addr: addr}
			st.NotifyUids = uids
		}
	}
	for _, s := range ex.Sockets {
		st.Sockets = append(st.Sockets, s.Socket)
	}
	if st.Pipes == nil {
		st.Pipes = []osproc.FrozenPipe{}
	}
	return st, files, nil
}

// check runs path --check-upgrade file through the launcher and says
// what it is: the new cfkd's version, or why it cannot take over.
func (u *upgrader) check(path, file string) (string, error) {
	var mu sync.Mutex
	var out, errOut []string
	gotLine, gotErr := make(chan struct{}, 1), make(chan struct{}, 1)
	done := make(chan syscall.WaitStatus, 1)
	keep := func(to *[]string, signal chan struct{}) func(int, []byte) {
		return func(_ int, line []byte) {
			mu.Lock()
			if len(*to) < 8 {
				*to = append(*to, string(line))
			}
			mu.Unlock()
			select {
			case signal <- struct{}{}:
			default:
			}
		}
	}
	proc, err := u.launcher.Launch(osproc.Spec{
		Argv:   []string{path, upgrade.CheckFlag, file},
		Env:    append(withoutVar(os.Environ(), upgrade.Env, upgrade.ArgsEnv), upgrade.ArgsEnv+"="+upgrade.EncodeArgs(os.Args[1:])),
		Stdout: keep(&out, gotLine), Stderr: keep(&errOut, gotErr),
		// a session of its own, nothing else of cfkd's in it: what it
		// leaves in its group (a child it put in the background) is
		// killed at its exit, and its timeout's SIGKILL goes to the
		// whole group (REFERENCE §13.3)
		Setsid: true, EndGroup: true,
	}, func(_ int, ws syscall.WaitStatus) { done <- ws })
	if err != nil {
		return "", fmt.Errorf("upgrade: cannot run %s: %w", path, err)
	}
	t := time.NewTimer(checkTimeout)
	defer t.Stop()
	var ws syscall.WaitStatus
	select {
	case ws = <-done:
	case <-t.C:
		u.launcher.Signal(proc, syscall.SIGKILL)
		<-done
		return "", fmt.Errorf("upgrade: %s %s did not answer in %v: killed", path, upgrade.CheckFlag, checkTimeout)
	}
	said := func() string {
		select { // what it said before it exited may not be read yet
		case <-gotErr:
		case <-time.After(time.Second):
		}
		mu.Lock()
		defer mu.Unlock()
		if len(errOut) == 0 {
			return ""
		}
		return ": " + strings.Join(errOut, " / ")
	}
	switch {
	case ws.Signaled():
		return "", fmt.Errorf("upgrade: %s %s was killed by signal %d (%v)", path, upgrade.CheckFlag, int(ws.Signal()), ws.Signal())
	case ws.ExitStatus() == upgrade.CheckExit:
		return "", fmt.Errorf("upgrade: %s refused the state%s", path, said())
	case ws.ExitStatus() != 0:
		return "", fmt.Errorf("upgrade: %s %s exited with status %d%s", path, upgrade.CheckFlag, ws.ExitStatus(), said())
	}
	// exit 0: the line was written before the exit; the poller may not
	// have read it yet
	t2 := time.NewTimer(2 * time.Second)
	defer t2.Stop()
	for {
		mu.Lock()
		lines := append([]string(nil), out...)
		mu.Unlock()
		for _, l := range lines {
			if v, err := upgrade.ParseCheckLine(l); err == nil {
				return v, nil
			} else if strings.HasPrefix(l, "cfkd-upgrade-ok") {
				return "", fmt.Errorf("upgrade: %s: %w", path, err)
			}
		}
		select {
		case <-gotLine:
		case <-t2.C:
			return "", fmt.Errorf("upgrade: %s is not a cfkd that can take over: it exited 0 without the check line", path)
		}
	}
}

// binaryPath is the path to exec: path made absolute, or cfkd's own
// executable as it is on disk now; it must be an executable file.
func binaryPath(path string) (string, error) {
	if path == "" {
		exe, err := os.Executable() // on Linux, without " (deleted)" when replaced
		if err != nil {
			return "", fmt.Errorf("upgrade: cannot find my executable: %w", err)
		}
		path = exe
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("upgrade: %w", err)
	}
	st, err := os.Stat(abs)
	switch {
	case err != nil:
		return "", fmt.Errorf("upgrade: cannot run %s: %w", abs, errors.Unwrap(err))
	case st.IsDir() || st.Mode()&0o111 == 0:
		return "", fmt.Errorf("upgrade: cannot run %s: not an executable file", abs)
	}
	return abs, nil
}

// listenerFile returns a dup of ln's fd (close-on-exec, as Go makes it).
func listenerFile(ln net.Listener) (*os.File, error) {
	f, ok := ln.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, fmt.Errorf("%T has no fd", ln)
	}
	return f.File()
}

// setInherit clears (or sets back) close-on-exec on fds.
func setInherit(fds []int, inherit bool) error {
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil {
			if inherit {
				flags &^= unix.FD_CLOEXEC
			} else {
				flags |= unix.FD_CLOEXEC
			}
			_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFD, flags)
		}
		if err != nil && inherit {
			return fmt.Errorf("upgrade: fd %d: %w", fd, err)
		}
	}
	return nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// withoutVar is env without the variables keys.
func withoutVar(env []string, keys ...string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !slices.ContainsFunc(keys, func(key string) bool { return strings.HasPrefix(kv, key+"=") }) {
			out = append(out, kv)
		}
	}
	return out
}

// warnUnwritten says which log destinations did not take their records
// before an exec (Drain gave up after 2 s: a FIFO whose reader stalled),
// with how many the exec loses, and gives those records 0.2 s to reach
// cfkd's own destination: one line for all said neither where nor how
// much, and the exec that follows could beat its write.
func warnUnwritten(log *logrus.Logger, r *logconf.Router, unwritten []logconf.Unwritten) {
	for _, w := range unwritten {
		log.WithField("destination", w.Destination).Warnf("upgrade: a log destination did not take its records within 2s: up to %d records lost", w.Records)
	}
	r.SyncEventsWithin(200 * time.Millisecond)
}

// relayUpgradeSignal turns SIGUSR2 into `command upgrade` (cfkd's own
// executable as it is on disk now); the outcome is logged.
func relayUpgradeSignal(tree *actors.Tree, log *logrus.Logger) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR2)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case <-quit:
				return
			case <-sigs:
				log.Info("SIGUSR2: upgrading in place")
				go func() {
					r, err := tree.Request(messages.ControlCommand{Verb: messages.VerbUpgrade}, 2*askTimeout)
					if err == nil {
						err = r.Err
					}
					if err != nil {
						log.WithError(err).Error("SIGUSR2: upgrade failed")
					}
				}()
			}
		}
	}()
	return func() { signal.Stop(sigs); close(quit) }
}
