package daemon

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// orphanGrace is how long an orphan or a leftover process gets between
// SIGTERM and SIGKILL.
const orphanGrace = 2 * time.Second

// orphanKiller is the Launcher the actors get: osproc's, plus the clean-up
// a systemd user expects of KillMode=control-group. Once the process of a
// service that cfkd stopped (its stop_signal through SignalStop, or SIGTERM
// or SIGKILL through Signal) has exited, the orphans cfkd adopted that carry CONTROL_FREAK_SERVICE=NAME (the
// service's grandchildren that daemonised, and members of its process
// group that outlived it) are terminated: SIGTERM, SIGKILL after
// orphanGrace. A service that exits on its own is left alone: its daemons
// may be the point (a forking service); the shutdown sweep ends them.
type orphanKiller struct {
	*osproc.Launcher
	log   logrus.FieldLogger
	grace time.Duration

	mu    sync.Mutex
	procs map[*osproc.Process]*serviceProc // live service processes
	// the launches watched by the clean-ups under way (orphans_late.go)
	watches map[string][]*launchWatch

	pending sync.WaitGroup // scans and terminations under way

	// activity, when set, is called on every start and stop of a process
	// (cfkd's memory trimmer re-arms on it)
	activity func()

	// exits of stopped services wait here for one scan (see afterStop)
	exitMu   sync.Mutex
	exits    []stoppedExit
	scanning bool       // a scanLoop goroutine runs
	ending   int        // terminations of a stop's orphans under way (killServiceOrphans)
	idle     *sync.Cond // on exitMu: broadcast when scanning ends, and ending drops to 0
}

// stoppedExit is the exit of a process that cfkd stopped, to be told to
// its service once its orphans were looked for.
type stoppedExit struct {
	name    string
	group   int // the process group the stop signalled, 0: none
	deliver func()
	// before, when not 0: only the orphans started before this time
	// (osproc.BootTicks) are ended. EndLeftovers' scan comes after the
	// stop was answered: a run started since then is no leftover.
	before uint64
	// after, when not 0: only the orphans started at or after this time
	// are ended (EndLostStart: what a dead proxy forked for one start).
	after uint64
	// direct: the exit of a process cfkd launched itself (not a proxy's,
	// whose launches it does not see): its late orphans are ended too
	direct bool
}

// span is when the orphans a scan ends started, in osproc.BootTicks:
// from after (0: boot) up to before (0: now), before excluded.
type span struct{ after, before uint64 }

func (w span) holds(start uint64) bool {
	return start >= w.after && (w.before == 0 || start < w.before)
}

var (
	_ actors.Launcher         = (*orphanKiller)(nil)
	_ actors.StopSignaler     = (*orphanKiller)(nil)
	_ actors.LeftoverEnder    = (*orphanKiller)(nil)
	_ actors.ProxiedStopEnder = (*orphanKiller)(nil)
	_ actors.LostStartEnder   = (*orphanKiller)(nil)
	_ actors.LaunchStopper    = (*orphanKiller)(nil) // osproc's
)

// serviceProc is one process launched for a service; guarded by
// orphanKiller.mu.
type serviceProc struct {
	name    string
	stopped bool // cfkd signalled it to stop
	exited  bool
}

func newOrphanKiller(l *osproc.Launcher, log logrus.FieldLogger, grace time.Duration) *orphanKiller {
	k := &orphanKiller{Launcher: l, log: log, grace: grace, procs: map[*osproc.Process]*serviceProc{}}
	k.idle = sync.NewCond(&k.exitMu)
	return k
}

// Flush returns once every exit queued for a scan has been told to its
// service. An upgrade calls it once the launcher froze (no exit is reaped
// any more) and before it takes the services' state: an exit reaped
// before the freeze is then in that state, not lost at the exec (the new
// cfkd took such a process for gone without an exit, and made its end a
// SIGKILL; REFERENCE §13). It waits for the scans under way and the
// pauses between them (maxScanPause each), at most within: false when
// they are not over by then (a /proc read stuck on a process in
// uninterruptible sleep), and the upgrade gives up rather than hang.
// It also waits for the terminations of the orphans those scans found
// (SIGTERM, SIGKILL after grace, the rounds of their children and late
// orphans): they run in a goroutine of this cfkd, which the exec ends, so
// an orphan that ignored its SIGTERM would never get its SIGKILL, and
// what it forked would run on until cfkd's shutdown. The upgrade calls
// it before the freeze too, nothing frozen, its outcome ignored (a mass
// stop under way may keep scans going), so that the frozen wait is
// short.
func (k *orphanKiller) Flush(within time.Duration) bool {
	expired := false // under exitMu
	timer := time.AfterFunc(within, func() {
		k.exitMu.Lock()
		expired = true
		k.idle.Broadcast() // wakes the wait below, whenever it began
		k.exitMu.Unlock()
	})
	defer timer.Stop()
	k.exitMu.Lock()
	defer k.exitMu.Unlock()
	for k.scanning || k.ending > 0 {
		if expired {
			return false
		}
		k.idle.Wait()
	}
	return true
}

// Launch launches spec; a service's process (CONTROL_FREAK_SERVICE in its
// environment, and the service's tag) is tracked until its exit.
func (k *orphanKiller) Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error) {
	if k.activity != nil {
		k.activity()
	}
	name, _ := osproc.Getenv(spec.Env, "CONTROL_FREAK_SERVICE")
	if name == "" || spec.Tag != actors.ServiceTag(name) {
		// not the service's own process: a readiness probe (ready=exec:)
		// has its environment, and cfkd killing it stops no service
		return k.Launcher.Launch(spec, onExit)
	}
	run, _ := osproc.Getenv(spec.Env, actors.RunIDVar)
	k.launching(name, run)
	t := k.track(name, spec.Setsid, false, onExit)
	p, err := k.Launcher.Launch(spec, t.onExit)
	if err == nil {
		t.registered(p)
	}
	return p, err
}

// tracked is a service process being tracked: onExit is the one to give
// the launcher, registered is called with the process once it has it.
type tracked struct {
	onExit     func(pid int, ws syscall.WaitStatus)
	registered func(p *osproc.Process)
}

// track tracks a process of service name (its own process group when
// group; stopped: cfkd is stopping it already) until its exit, which it
// hands to onExit: at once, or, when cfkd stopped it, after the scan for
// the orphans it left.
func (k *orphanKiller) track(name string, group, stopped bool, onExit func(pid int, ws syscall.WaitStatus)) tracked {
	sp := &serviceProc{name: name, stopped: stopped}
	var proc *osproc.Process // set once registered, under mu
	return tracked{
		onExit: func(pid int, ws syscall.WaitStatus) {
			k.mu.Lock()
			sp.exited = true
			stopped := sp.stopped
			if proc != nil {
				delete(k.procs, proc)
			}
			k.mu.Unlock()
			if stopped {
				g := 0
				if group {
					g = pid
				}
				// the service hears of the exit after the scan: a restart
				// cannot launch anything that it would take for an orphan.
				k.afterStop(stoppedExit{name: name, group: g, deliver: func() { onExit(pid, ws) }, direct: true})
				return
			}
			onExit(pid, ws)
		},
		registered: func(p *osproc.Process) {
			k.mu.Lock()
			if !sp.exited {
				proc = p
				k.procs[p] = sp
			}
			k.mu.Unlock()
		},
	}
}

// Signal signals p; SIGTERM or SIGKILL to a service process marks it
// stopped by cfkd.
func (k *orphanKiller) Signal(p *osproc.Process, sig syscall.Signal) error {
	return k.signal(p, sig, sig == syscall.SIGTERM || sig == syscall.SIGKILL)
}

// SignalStop signals p to stop it (its service's stop_signal): a service
// process is marked stopped by cfkd, whatever the signal. SIGCONT follows,
// as systemd, s6 and runit send it: a stopped process (SIGSTOP, a job
// control stop) holds the stop signal pending, and would otherwise never
// run its handler and exit cleanly, only die of the SIGKILL stopwait_secs
// later, a stop ending in `fail`.
func (k *orphanKiller) SignalStop(p *osproc.Process, sig syscall.Signal) error {
	err := k.signal(p, sig, true)
	if err == nil && continues(sig) {
		// the stop signal may have ended it already: no error then
		if cerr := k.Launcher.Signal(p, syscall.SIGCONT); cerr != nil && !errors.Is(cerr, osproc.ErrDone) {
			err = cerr
		}
	}
	return err
}

// continues says whether a SIGCONT follows stop signal sig: not after
// SIGKILL (nothing to handle), SIGCONT itself, nor a stop_signal that
// stops the process (STOP, TSTP, TTIN, TTOU), which SIGCONT would undo.
func continues(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGKILL, syscall.SIGCONT, syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return false
	}
	return true
}

func (k *orphanKiller) signal(p *osproc.Process, sig syscall.Signal, stop bool) error {
	if k.activity != nil {
		k.activity()
	}
	if stop {
		k.mu.Lock()
		if sp := k.procs[p]; sp != nil {
			sp.stopped = true
		}
		k.mu.Unlock()
	}
	return k.Launcher.Signal(p, sig)
}

// afterStop queues the exit of a stopped service's process for scanLoop.
// It is called by the reaper, which must not wait: the scan reads /proc
// (cfkd's lists of children, or every process's stat where the kernel
// has no such list), so it runs in a goroutine of its own, one scan for every exit
// queued meanwhile (a `down all` of 1,000 services costs a few scans, not
// 1,000, and the reaper reaps on).
func (k *orphanKiller) afterStop(e stoppedExit) {
	k.exitMu.Lock()
	defer k.exitMu.Unlock()
	k.exits = append(k.exits, e)
	if !k.scanning {
		k.scanning = true
		k.pending.Add(1)
		go k.scanLoop()
	}
}

// EndLeftovers ends what service name left behind: the daemons of a
// service that exited on its own are kept while it is declared and not
// stopped (they may be the point: a forking service), but once it is
// destroyed nothing can stop them any more, and no view shows them, and a
// stop of it while it has no process (in backoff, or down) asks for them
// to end (REFERENCE §7.5). The scan runs in scanLoop's goroutine: this
// never waits. It ends only the orphans started before this call: the
// stop is answered at once, and the scan may come after the daemons of a
// run started since then (`stop svc; start svc`, while a scan of other
// exits is under way or pausing).
func (k *orphanKiller) EndLeftovers(name string) {
	k.afterStop(stoppedExit{name: name, deliver: func() {}, before: osproc.BootTicks()})
}

// AfterProxiedStop: process pid of service name, run by a proxy and
// stopped by cfkd, has exited. Its orphans are ended as a direct child's
// are, then deliver is called (REFERENCE §7.5). The proxy stops its child
// with its process group (cfk-proxy runs each in a session of its own),
// so pid is taken for the group the stop signalled: its members are
// logged only if they need SIGKILL. Like afterStop, it never waits.
func (k *orphanKiller) AfterProxiedStop(name string, pid int, deliver func()) {
	k.afterStop(stoppedExit{name: name, group: pid, deliver: deliver})
}

// EndLostStart ends what a proxy forked for a start of service name that
// nobody supervises (REFERENCE §4.5): one it never reported, having died
// (its process, adopted by cfkd when the proxy ended, that nobody knows
// the pid of), or one the service gave up, whose process has exited (the
// daemons it left, as a stopped run's). It takes the orphans of name
// started from after (when the start line was sent) to before (the
// proxy's end; the service's next start line, or the exit): the daemons
// of the service's earlier runs are older, a new run's younger. Like
// EndLeftovers, it never waits.
func (k *orphanKiller) EndLostStart(name string, after, before uint64) {
	k.afterStop(stoppedExit{name: name, deliver: func() {}, after: after, before: before})
}

// maxScanPause bounds scanLoop's pause between two scans, which is
// scanPauseFactor times as long as the scan took.
const (
	maxScanPause    = 50 * time.Millisecond
	scanPauseFactor = 8
)

// scanLoop looks for the orphans of the services whose exits are queued,
// with one scan per batch, then tells each service of its exit; it
// returns when the queue is empty. After a scan it pauses scanPauseFactor times as
// long as the scan took (up to maxScanPause) before it takes the next
// batch: during a stop of thousands, whose exits come faster than a scan
// of thousands of children takes (the kernel walks a children list from
// its start at every read of it), scans use a ninth of a core at most
// instead of a whole one (the reaper, the actors and the dying processes
// need the rest), and each scan serves more exits. A lone exit is scanned
// for at once.
func (k *orphanKiller) scanLoop() {
	defer k.pending.Done()
	for {
		k.exitMu.Lock()
		batch := k.exits
		k.exits = nil
		if len(batch) == 0 {
			k.scanning = false
			k.idle.Broadcast()
			k.exitMu.Unlock()
			return
		}
		k.exitMu.Unlock()
		groups := map[string]int{}
		spans := map[string][]span{} // an orphan started in one of its service's spans is ended
		direct := map[string]bool{}  // the services whose late orphans are ended too
		for _, e := range batch {
			if e.direct {
				direct[e.name] = true
			}
			if g, ok := groups[e.name]; !ok || g == 0 {
				groups[e.name] = e.group
			}
			spans[e.name] = append(spans[e.name], span{e.after, e.before})
		}
		start := time.Now()
		k.killServiceOrphans(groups, spans, direct)
		took := time.Since(start)
		for _, e := range batch {
			e.deliver()
		}
		time.Sleep(min(scanPauseFactor*took, maxScanPause)) // a bounded pause, never a loop: the queue is looked at once more
	}
}

// killServiceOrphans terminates the adopted orphans of the services named
// in groups, whose stopped processes have exited. group is the process group the stop
// signalled (0: none): its members already got SIGTERM and are most
// likely dying of it, so they are logged only if they need SIGKILL. An
// orphan is ended only if it started in one of its service's spans (an
// exit's: any time; EndLeftovers': before its call, a new run's are
// kept; EndLostStart's: between the start and the proxy's end). The late
// orphans of the services in direct are ended too (orphans_late.go). It
// scans and sends SIGTERM at once; the wait for SIGKILL runs in a
// goroutine of its own.
func (k *orphanKiller) killServiceOrphans(groups map[string]int, spans map[string][]span, direct map[string]bool) {
	watches := k.watchLaunches(direct) // before the scan: a launch since is seen
	scanned := osproc.BootTicks()      // read before the scan: what started since is not seen in it
	var mine []osproc.Orphan
	for _, o := range k.AdoptedOrphans() {
		if !slices.ContainsFunc(spans[o.Service], func(w span) bool { return w.holds(o.Start) }) {
			continue
		}
		mine = append(mine, o)
	}
	if len(mine) == 0 {
		k.unwatchLaunches(watches)
		return
	}
	byPid := map[int]osproc.Orphan{}
	for _, o := range mine {
		byPid[o.Pid] = o
		if group := groups[o.Service]; o.Pgid != group || group == 0 {
			k.log.Warnf("killing orphan pid %d (%s) left by service %s", o.Pid, o.Comm, o.Service)
		}
	}
	ts := k.TargetOrphans(mine)
	below := descendants(orphanPids(mine))
	k.pending.Add(1)
	k.exitMu.Lock()
	k.ending++
	k.exitMu.Unlock()
	go func() {
		defer k.pending.Done()
		defer k.endingDone()
		defer k.unwatchLaunches(watches)
		name := func(pid int) string {
			return fmt.Sprintf("orphan pid %d (%s) left by service %s", pid, byPid[pid].Comm, byPid[pid].Service)
		}
		targeted := map[int]uint64{} // pid: start, of each process ended here
		for _, o := range mine {
			targeted[o.Pid] = o.Start
		}
		terminateLogged(ts, k.grace, k.log, name)
		// The children of those orphans (a daemon that a member of the
		// stopped group forked, in a session of its own) were not cfkd's
		// at the scan: ending their parents made cfkd adopt them now.
		// They are ended in turn, round after round, however deep the
		// chain: the descendants seen at the scan (below, all of them,
		// transitively) and those of the orphans each round ends, seen
		// before it ends them. So is an orphan of these services adopted
		// since the scan that started before it, in one of its spans: a
		// child whose parent (a member of the group, dying of the stop's
		// signal) exited between the scan and the read of the
		// descendants, which then saw neither. A daemon of a run launched
		// since the scan started after it: no orphan of this stop. Each
		// process is targeted once (one that survives SIGKILL is not
		// again), and each round ends processes not ended before, so the
		// rounds end (REFERENCE §7.5). So is, for maxLateRounds rounds, a
		// late orphan (orphans_late.go): a daemon that one of those
		// forked as it handled its SIGTERM, after the scan, before the
		// service's next launch; it ran on, adopted by cfkd.
		for round := 1; ; round++ {
			var next []osproc.Orphan
			for _, o := range k.AdoptedOrphans() {
				if _, mine := groups[o.Service]; !mine {
					continue
				}
				if start, done := targeted[o.Pid]; done && start == o.Start {
					continue
				}
				// the process seen at the scan, not one that has its pid now
				start, seen := below[o.Pid]
				seen = seen && start == o.Start
				missed := o.Start < scanned && slices.ContainsFunc(spans[o.Service], func(w span) bool { return w.holds(o.Start) })
				late := round <= maxLateRounds && k.late(watches, o, scanned)
				if seen || missed || late {
					next = append(next, o)
				}
			}
			if len(next) == 0 {
				return
			}
			for _, o := range next {
				byPid[o.Pid] = o
				targeted[o.Pid] = o.Start
				k.log.Warnf("killing orphan pid %d (%s) left by service %s", o.Pid, o.Comm, o.Service)
			}
			// what they forked since the scan, seen before they end
			for pid, start := range descendants(orphanPids(next)) {
				below[pid] = start
			}
			terminateLogged(k.TargetOrphans(next), k.grace, k.log, name)
		}
	}()
}

// endingDone ends a termination that ending counted: Flush waits for
// none to be under way.
func (k *orphanKiller) endingDone() {
	k.exitMu.Lock()
	defer k.exitMu.Unlock()
	if k.ending--; k.ending == 0 {
		k.idle.Broadcast()
	}
}

// descendants is osproc.Descendants (a test ends a process between the
// scan and this read, as a loaded machine may).
var descendants = osproc.Descendants

func orphanPids(os []osproc.Orphan) []int {
	pids := make([]int, len(os))
	for i, o := range os {
		pids[i] = o.Pid
	}
	return pids
}

// sweep is the end of cfkd's shutdown: once the terminations begun by
// stops are over, every process cfkd adopted and that still lives is
// terminated (SIGTERM, SIGKILL after grace), and logged. Ending one may
// orphan its own children, adopted in turn: the scan is repeated, at most
// three times. It blocks up to 8×grace.
func (k *orphanKiller) sweep() {
	k.pending.Wait()
	l, log, grace := k.Launcher, k.log, k.grace
	for round := 0; round < 3; round++ {
		orphans := l.AdoptedOrphans()
		if len(orphans) == 0 {
			return
		}
		byPid := map[int]osproc.Orphan{}
		for _, o := range orphans {
			byPid[o.Pid] = o
			log.Warnf("killing orphan pid %d (%s) left by %s", o.Pid, o.Comm, leftBy(o))
		}
		terminateLogged(l.TargetOrphans(orphans), grace, log, func(pid int) string {
			return fmt.Sprintf("orphan pid %d (%s)", pid, byPid[pid].Comm)
		})
	}
}

func leftBy(o osproc.Orphan) string {
	if o.Service == "" {
		return "an unknown service"
	}
	return "service " + o.Service
}

// terminateLogged terminates ts (osproc.Terminate: SIGTERM, SIGKILL after
// grace) and logs each process that needed SIGKILL, and each that
// survived it, naming it with name(pid). It returns the survivors.
func terminateLogged(ts []*osproc.Target, grace time.Duration, log logrus.FieldLogger, name func(pid int) string) (survived []int) {
	killed, survived := osproc.Terminate(ts, grace)
	for _, pid := range killed {
		log.Warnf("%s ignored SIGTERM: sent SIGKILL", name(pid))
	}
	for _, pid := range survived {
		log.Errorf("%s survived SIGKILL", name(pid))
	}
	return survived
}
