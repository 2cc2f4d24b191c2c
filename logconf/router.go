package logconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/internal/safepath"
	"github.com/sirupsen/logrus"
)

// ErrClosed is returned by Apply and Reload after DrainToClose or Close.
var ErrClosed = errors.New("logconf: router closed")

// Router owns the open destinations and routes the entries of cfkd's two
// loggers to them. Its methods are safe for concurrent use.
type Router struct {
	home            string
	log, serviceLog *logrus.Logger
	// report is where write failures, and the closes' and reopens'
	// messages, are said: cfkd's stderr, each write queued, never waited
	// for (nowait.Stderr), so that a stderr that does not take them holds
	// neither a flusher nor a reload (under applyMu), nor the shutdown's
	// drain that waits for it (REFERENCE §6.2, §7.4)
	report         io.Writer
	stdout, stderr *sink // shared by every state, never closed

	applyMu sync.Mutex // serialises Apply, Reload, DrainToClose and Close
	// drained: DrainToClose ran (a shutdown): Apply and Reload return
	// ErrClosed, so that no reload reopens a destination it gave up on,
	// or one it did not wait for (under applyMu)
	drained bool

	// cur is the current state, nil once closed. A record is queued to a
	// sink of the state it loaded; Apply and Close store the next state
	// and only then close the sinks the old one had open, which refuse
	// records from then on (sink.put reports false): the record is routed
	// again with the new state. So no record is queued to a closed sink,
	// and nothing on the path of a record takes a lock but its sink's.
	cur atomic.Pointer[state]

	// dropNotes, when set, is also given each "N lines dropped" record
	// (OnDropNote): a sink writes that record itself, past the loggers'
	// hooks, so it is no event of kind cfkd without it
	dropNotes atomic.Pointer[func(*logrus.Entry)]
}

// OnDropNote makes f take, besides its destination, every "N lines
// dropped" record a destination writes (REFERENCE §6.3), as a logger's
// hook takes an entry: cfkd gives its event hook, so that the record is
// an event of kind cfkd (REFERENCE §1.6), as its other warnings are. f is
// called by the destination's flusher, outside its lock: it must not
// wait, nor log.
func (r *Router) OnDropNote(f func(*logrus.Entry)) { r.dropNotes.Store(&f) }

// failNote logs e, the failure of destination s or its recovery
// (sink.failNote), as one of cfkd's events: to cfkd's destination (a
// failure that loses records (lost) not when that is s: it would be lost
// with the others; a rotation that fails loses none), and, at
// WARN, as an event of kind cfkd (OnDropNote's f). It runs on s's flusher
// and never waits: the record is queued.
func (r *Router) failNote(s *sink, e *logrus.Entry, lost bool) {
	if r.log != nil && !r.log.IsLevelEnabled(e.Level) {
		return
	}
	if st := r.cur.Load(); st != nil && (st.cfkd != s || !lost || e.Level > logrus.WarnLevel) {
		r.write(e, origin{})
	}
	if e.Level > logrus.WarnLevel {
		return
	}
	if f := r.dropNotes.Load(); f != nil {
		(*f)(e)
	}
}

// state is one applied configuration with everything it needs open.
type state struct {
	cfg            *Config
	sinks          map[string]*sink // by name: each path opened once
	cfkd, services *sink            // nil: none
	audit          *sink            // category audit; nil: none
	service        map[string]*sink // as Config.service; a nil value is none
	// lines is what route makes of service: for each service named in
	// it, the sink of its out and err lines (nil: none)
	lines map[string]*lineRoute
	// last is the lineRoute route found last: a flood of lines of one
	// service is routed without hashing its name each time
	last atomic.Pointer[lineRoute]
}

// lineRoute is where the lines of one service named in the configuration
// go: sinks[streamIndex(stream)] (nil: none).
type lineRoute struct {
	name  string
	sinks [2]*sink
}

// streamIndex is a stream's index in state.lines' pairs.
func streamIndex(stream string) int {
	if stream == "err" {
		return 1
	}
	return 0
}

func (st *state) route(o origin) *sink {
	if !o.service {
		if o.name == AuditCategory {
			return st.audit
		}
		return st.cfkd
	}
	if len(st.lines) == 0 {
		return st.services
	}
	lr := st.last.Load()
	if lr == nil || lr.name != o.name {
		var ok bool
		if lr, ok = st.lines[o.name]; !ok {
			return st.services
		}
		st.last.Store(lr)
	}
	return lr.sinks[streamIndex(o.stream)]
}

// resolveLines fills st.lines from st.service: service.NAME.STREAM, else
// service.NAME, else services.
func (st *state) resolveLines() {
	st.lines = map[string]*lineRoute{}
	for k := range st.service {
		name := k
		if i := strings.LastIndexByte(k, '.'); i >= 0 {
			name = k[:i]
		}
		if _, done := st.lines[name]; done {
			continue
		}
		lr := &lineRoute{name: name}
		for i, stream := range []string{"out", "err"} {
			s, ok := st.service[name+"."+stream]
			if !ok {
				if s, ok = st.service[name]; !ok {
					s = st.services
				}
			}
			lr.sinks[i] = s
		}
		st.lines[name] = lr
	}
}

// NewRouter takes over log and serviceLog (they may be the same logger):
// their Out becomes io.Discard, their Formatter a no-op, and a hook of the
// Router writes every entry. Until the first Apply everything goes to
// stderr in the text format; the loggers' levels are left alone until then.
func NewRouter(home string, log, serviceLog *logrus.Logger) *Router {
	r := &Router{
		home: home, log: log, serviceLog: serviceLog, report: nowait.Stderr,
	}
	r.stdout = &sink{name: "stdout", w: os.Stdout, notes: &r.dropNotes, failNote: r.failNote, tally: new(tally)}
	r.stderr = &sink{name: "stderr", w: os.Stderr, notes: &r.dropNotes, failNote: r.failNote, tally: new(tally)}
	r.cur.Store(&state{
		cfg: &Config{level: logrus.InfoLevel}, sinks: map[string]*sink{"stderr": r.stderr},
		cfkd: r.stderr, services: r.stderr, audit: r.stderr,
	})
	take := func(l *logrus.Logger, fromServiceLog bool) {
		l.SetOutput(io.Discard)
		l.SetFormatter(discard{})
		l.AddHook(&hook{r: r, fromServiceLog: fromServiceLog})
	}
	if log != nil {
		take(log, false)
	}
	if serviceLog != nil && serviceLog != log {
		take(serviceLog, true)
	}
	return r
}

// hook is how a Router sees a logger's entries.
type hook struct {
	r              *Router
	fromServiceLog bool
}

func (h *hook) Levels() []logrus.Level { return logrus.AllLevels }

// Fire writes e; it never returns an error (logrus would print one per
// entry): failures are counted and reported by the sink.
func (h *hook) Fire(e *logrus.Entry) error {
	h.r.write(e, originOf(e, h.fromServiceLog))
	return nil
}

// write queues e to its destination, like a service line: logging never
// waits for the disk (an actor logging an event must not block on it). A
// service line (an entry of the service logger, when the actors have no
// line logger) holds its pipe when its destination is full; one of cfkd's
// events is dropped past the bound (see sink.put).
// A text record is formatted straight into the queue (appendEventText).
func (r *Router) write(e *logrus.Entry, o origin) {
	var p []byte // the JSON record, when that is the format
	r.deliver(o, func(st *state, s *sink) bool {
		json := st.cfg.json
		if json && p == nil {
			p = formatJSON(e, o)
		}
		return s.put(len(p)+len(e.Message)+160, o.service, json, r.report, func(b []byte) []byte {
			if json {
				return append(b, p...)
			}
			return appendEventText(b, &s.text, e, o)
		})
	})
}

// deliver hands put the destination of o in the configuration in force,
// and again that of the configuration that replaced it when put says it
// came too late (false: the destination was closed by a reload). It
// reports false when o goes nowhere (none, or the router is closed).
func (r *Router) deliver(o origin, put func(st *state, s *sink) bool) bool {
	for {
		st := r.cur.Load()
		if st == nil {
			return false
		}
		s := st.route(o)
		if s == nil {
			return false
		}
		if put(st, s) {
			if r.cur.Load() != st {
				// a reload came meanwhile, and may already have resumed
				// the pipes held on s (Apply): a pipe held on it now is
				// resumed too, its lines routed anew
				s.release()
			}
			return true
		}
	}
}

// Apply makes cfg current. Everything cfg needs is opened first, every file
// afresh (a rotating file keeps its rotator, which re-opens the path on its
// next write); if any cannot be opened, what was opened is
// closed, the current configuration stays and the error is returned. Then
// the configuration is swapped in, the loggers' levels set, and the files of
// the old configuration closed. Errors closing them are reported, not
// returned: the new configuration is in place.
func (r *Router) Apply(cfg *Config) error {
	if cfg == nil {
		return errors.New("logconf: nil config")
	}
	if applyWaits != nil {
		applyWaits()
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	old := r.cur.Load()
	if old == nil || r.drained {
		return ErrClosed
	}
	st, reopen, err := r.open(cfg, old)
	if err != nil {
		return err
	}
	r.cur.Store(st)
	for _, l := range []*logrus.Logger{r.log, r.serviceLog} {
		if l != nil {
			l.SetLevel(cfg.level)
		}
	}
	// the replaced files refuse records first, all at once, before
	// anything here waits (a reopen or a close waits up to closeGrace
	// for a queue): a file opened afresh for the same path writes only
	// once its predecessor refuses (sink.prev)
	for name, s := range old.sinks {
		if st.sinks[name] != s && s.closer != nil {
			s.refuse()
		}
	}
	// the reopens and the closes are waited for all at once, closeGrace
	// and abandonCut at most in all: one after the other, each a file
	// that did not take its queue (a FIFO nobody reads) or whose write
	// does not return (a hung disk) added its own, and N of them held
	// the reload, applyMu and so the shutdown's drain N times that
	// (REFERENCE §6.2); each says what it has to say, as alone
	var wg sync.WaitGroup
	reopened := make(map[*sink]bool, len(reopen))
	for _, s := range reopen {
		reopened[s] = true
		wg.Go(func() {
			if err := s.reopen(); err != nil {
				fmt.Fprintf(r.report, "cfkd: closing log destination %s: %v\n", s.name, err)
			}
			s.release() // kept: as below, once its reopen is done
		})
	}
	for name, s := range old.sinks {
		switch {
		case st.sinks[name] != s:
			wg.Go(func() { r.closeReported(s) })
		case !reopened[s]:
			// kept (stdout, stderr): the pipes held on it are routed
			// anew, maybe elsewhere; held again if not
			s.release()
		}
	}
	wg.Wait()
	return nil
}

// closeReported closes s (a file waits up to closeGrace for its queue);
// the output pipes held on it are resumed, their lines routed anew.
func (r *Router) closeReported(s *sink) {
	if err := s.close(); err != nil {
		fmt.Fprintf(r.report, "cfkd: closing log destination %s: %v\n", s.name, err)
	}
}

// open opens what cfg needs. reopen lists the rotating sinks taken over
// from old, to be closed (so re-opened by their next write) once cfg is in
// place.
func (r *Router) open(cfg *Config, old *state) (_ *state, reopen []*sink, err error) {
	st := &state{cfg: cfg, sinks: map[string]*sink{}, service: map[string]*sink{}}
	get := func(d dest) (*sink, error) {
		switch d.kind {
		case destNone:
			return nil, nil
		case destStderr:
			st.sinks["stderr"] = r.stderr
			return r.stderr, nil
		case destStdout:
			st.sinks["stdout"] = r.stdout
			return r.stdout, nil
		}
		path := d.path
		if !filepath.IsAbs(path) {
			path = filepath.Join(r.home, path)
		}
		path = filepath.Clean(path)
		name := "file:" + path
		if s, ok := st.sinks[name]; ok {
			return s, nil
		}
		if err := safepath.CheckCreateTrusting(path, os.Geteuid(), cfg.trustGroups); err != nil {
			var u *safepath.Unsafe
			if errors.As(err, &u) {
				// cfkd opens it as its user, following symlinks, and
				// truncates it at a rotation: that user would choose
				// the file cfkd writes (REFERENCE §6.1)
				hint := "give a directory that only root and cfkd's user may change"
				if u.Group {
					hint += fmt.Sprintf(", or trust that group's members as root: trust_groups = %d", u.Gid)
				}
				return nil, fmt.Errorf("log destination %s: %v: %s could make cfkd write to any file (%s)", d, u, u.Who, hint)
			}
		}
		prev, ok := old.sinks[name]
		s := prev
		if ok && prev.rot != nil && prev.maxSizeMB == cfg.maxSizeMB && prev.maxBackups == cfg.maxBackups {
			if err := probe(path); err != nil {
				return nil, fmt.Errorf("log destination %s: %w", d, err)
			}
			reopen = append(reopen, prev)
		} else {
			if s, err = openFile(path, cfg.maxSizeMB, cfg.maxBackups); err != nil {
				return nil, fmt.Errorf("log destination %s: %w", d, err)
			}
			s.notes, s.failNote = &r.dropNotes, r.failNote
			// what prev still queues for this path is written first (nil: none)
			s.prev = prev
			if prev != nil {
				s.tally = prev.tally // the counts go on (REFERENCE §10.2)
			}
		}
		st.sinks[name] = s
		return s, nil
	}
	defer func() {
		if err == nil {
			return
		}
		for name, s := range st.sinks {
			if old.sinks[name] != s {
				s.close()
			}
		}
	}()
	if st.cfkd, err = get(cfg.cfkd); err != nil {
		return nil, nil, err
	}
	if st.services, err = get(cfg.services); err != nil {
		return nil, nil, err
	}
	if st.audit, err = get(cfg.auditDest()); err != nil {
		return nil, nil, err
	}
	for k, d := range cfg.service {
		if st.service[k], err = get(d); err != nil {
			return nil, nil, err
		}
	}
	st.resolveLines()
	return st, reopen, nil
}

// Reload re-reads the configuration file at path and applies it. On any
// error (unreadable file, parse error, unopenable destination) the current
// configuration stays and the error is returned, for cfkd to log. On
// success every file is open afresh, also those whose path did not change,
// so logrotate's move-then-SIGUSR1 works.
func (r *Router) Reload(path string) error {
	_, err := r.ReloadText(path, nil)
	return err
}

// ReloadText is Reload of text, the configuration file path's content
// (read from path when nil), and returns the text it applied: cfkd keeps
// it as the configuration in force (an upgrade in place hands it on,
// REFERENCE §13).
func (r *Router) ReloadText(path string, text []byte) ([]byte, error) {
	if text == nil {
		b, err := readConfig(path)
		if err != nil {
			return nil, fmt.Errorf("reading log config: %w", err)
		}
		text = b
	}
	cfg, err := Parse(path, bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	if err := r.Apply(cfg); err != nil {
		return nil, err
	}
	return text, nil
}

// MaxConfigSize bounds the log configuration file: a few lines are
// expected, and this is read on SIGUSR1 by the goroutine that also turns
// SIGTERM into a shutdown.
const MaxConfigSize = 1 << 20

// readConfig reads the configuration file at path without ever waiting
// nor growing without bound: opened non-blocking (a FIFO nobody writes
// to is empty at once; os.ReadFile waited for a writer for ever, and
// cfkd's signal goroutine with it: SIGTERM was no longer obeyed) and
// read up to MaxConfigSize (/dev/zero made cfkd allocate until it died).
func readConfig(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode()&os.ModeNamedPipe != 0 {
		// empty at once when nobody writes to it: not the defaults
		return nil, fmt.Errorf("%s: a FIFO, not a file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxConfigSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxConfigSize)
	}
	return b, nil
}

// WriteErrors counts the records lost by failed writes of each current
// destination, by name ("file:/abs/path", "stderr", "stdout"), since it
// was configured (as Losses); a destination without failures is absent.
func (r *Router) WriteErrors() map[string]uint64 {
	return r.counts(func(s *sink) uint64 { return s.errs.Load() })
}

// Dropped counts the records each current destination dropped because it
// could not keep up (see REFERENCE §6.2), by name as WriteErrors; a
// destination without drops is absent. The lines of the services held
// meanwhile are not dropped: they wait in their pipes.
func (r *Router) Dropped() map[string]uint64 {
	return r.counts(func(s *sink) uint64 { return s.drops.Load() })
}

// Loss is what one log destination could not write (REFERENCE §6.2,
// §10.2), since it was configured (kept across reloads that keep it):
// Lost, the records its failed writes lost (and those a close left
// unwritten); Dropped, those it dropped past its queue's bound.
type Loss struct {
	Destination   string // as its records name it: "file:/abs/path", "stderr" or "stdout"
	Lost, Dropped uint64
}

// Losses lists every current destination, by name, with its counts,
// zeros included (cfkd's /metrics). It reads atomic counters and never
// waits: a reload meanwhile gives the one state or the other.
func (r *Router) Losses() []Loss {
	st := r.cur.Load()
	if st == nil {
		return nil
	}
	out := make([]Loss, 0, len(st.sinks))
	for name, s := range st.sinks {
		out = append(out, Loss{Destination: name, Lost: s.errs.Load(), Dropped: s.drops.Load()})
	}
	slices.SortFunc(out, func(a, b Loss) int { return strings.Compare(a.Destination, b.Destination) })
	return out
}

func (r *Router) counts(n func(*sink) uint64) map[string]uint64 {
	out := map[string]uint64{}
	if st := r.cur.Load(); st != nil {
		for name, s := range st.sinks {
			if k := n(s); k > 0 {
				out[name] = k
			}
		}
	}
	return out
}

// Sync returns once every record logged before it to a current
// destination was written.
func (r *Router) Sync() {
	if st := r.cur.Load(); st != nil {
		for _, s := range st.sinks {
			s.sync()
		}
	}
}

// SyncWithin is Sync bounded by d in all: a destination that does not
// take its queue (a FIFO nobody reads, a stalled terminal) is left with
// it. It reports whether everything was written.
func (r *Router) SyncWithin(d time.Duration) bool { return len(r.Drain(d)) == 0 }

// Unwritten is a destination that did not write what it held (Router.Drain).
type Unwritten struct {
	Destination string
	// Records is at most what it lost: a slow destination may have taken
	// part of the batch it writes; but exact when Exact (DrainToClose)
	Records int
	Exact   bool
}

// Drain is SyncWithin that names the destinations it gave up on, by
// name, with the number of records each held then: what an exec loses
// (an upgrade in place, REFERENCE §13.3). None: everything was written.
func (r *Router) Drain(d time.Duration) []Unwritten { return drain(r.cur.Load(), d) }

// drain is Drain of the state st (nil: closed).
func drain(st *state, d time.Duration) []Unwritten {
	if st == nil {
		return nil
	}
	// every destination is waited for at once, for the whole of d: one
	// after the other, those after a stalled one had what it left of d,
	// none, and were named with it
	synced := make(map[string]chan struct{}, len(st.sinks))
	for name, s := range st.sinks {
		done := make(chan struct{})
		synced[name] = done
		go func() { s.sync(); close(done) }() // left to return on its own
	}
	over := time.NewTimer(d)
	defer over.Stop()
	var out []Unwritten
	expired := false
	for name, done := range synced {
		if !expired {
			select {
			case <-done:
				continue
			case <-over.C:
				expired = true // d is over: the others are taken as they are
			}
		}
		select {
		case <-done:
		default:
			out = append(out, Unwritten{Destination: name, Records: st.sinks[name].unwritten()})
		}
	}
	slices.SortFunc(out, func(a, b Unwritten) int { return strings.Compare(a.Destination, b.Destination) })
	return out
}

// DrainToClose is Drain before Close (a shutdown, REFERENCE §7.4). It
// gives up on the destinations that did not take their queue within d
// (sink.abandon): a file is closed at once, what they held is dropped,
// and they take no record more; it returns them with the records each
// lost (Exact for a file whose write the close cut). The caller says
// the loss, once, with its own records before Close, while cfkd's
// destination takes them: nothing says it again, and Close does not wait
// for them, so that the shutdown's bound is d, not d and a second more.
// From then on Apply and Reload return ErrClosed: a reload during the
// drain waits for it and is refused, so that it neither replaces the
// state being drained (the loss said twice, or given up on the wrong
// sink) nor reopens a destination after it.
func (r *Router) DrainToClose(d time.Duration) []Unwritten {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	r.drained = true
	if drainBegins != nil {
		drainBegins()
	}
	st := r.cur.Load()
	given := drain(st, d)
	// given up on all at once: each waits abandonCut (twice) at most for
	// its close and its flusher, and one after the other N rotating
	// files whose writes do not return (a hung disk) held the shutdown
	// N times that past d (REFERENCE §7.4)
	var wg sync.WaitGroup
	for i := range given {
		wg.Go(func() {
			w := &given[i]
			w.Records, w.Exact = st.sinks[w.Destination].abandon(r.report)
		})
	}
	wg.Wait()
	var out []Unwritten
	for _, w := range given {
		if w.Records > 0 || !w.Exact { // none: it took them all meanwhile
			out = append(out, w)
		}
	}
	return out
}

// drainBegins, when set (tests), is called by DrainToClose once it holds
// applyMu, before it waits; applyWaits by Apply before it takes applyMu.
var drainBegins, applyWaits func()

// SyncEventsWithin is SyncWithin for cfkd's own destination alone (the
// record that says another one is stalled, which must not wait for that
// one).
func (r *Router) SyncEventsWithin(d time.Duration) bool {
	st := r.cur.Load()
	if st == nil || st.cfkd == nil {
		return true
	}
	return st.cfkd.syncWithin(d)
}

// Close closes every file. Entries logged afterwards are dropped (the
// loggers still write to io.Discard); Apply and Reload return ErrClosed.
// Closing twice is a no-op.
func (r *Router) Close() error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	st := r.cur.Swap(nil)
	if st == nil {
		return nil
	}
	// every destination is waited for at once, for closeGrace at most in
	// all: one after the other, stdout and stderr stalled each added a
	// second; those a DrainToClose gave up on are not waited for again
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range st.sinks {
		wg.Go(func() {
			if err := s.close(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("closing log destination %s: %w", s.name, err))
				mu.Unlock()
			}
		})
	}
	// what is queued for the terminal, unless it is stalled
	for _, s := range []*sink{r.stdout, r.stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.mu.Lock()
			gaveUp := s.gaveUp
			s.mu.Unlock()
			if !gaveUp {
				s.syncWithin(closeGrace)
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}
