package logconf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// ErrClosed is returned by Apply and Reload after Close.
var ErrClosed = errors.New("logconf: router closed")

// Router owns the open destinations and routes the entries of cfkd's two
// loggers to them. Its methods are safe for concurrent use.
type Router struct {
	home            string
	log, serviceLog *logrus.Logger
	report          io.Writer // where write failures are reported
	stdout, stderr  *sink     // shared by every state, never closed

	applyMu sync.Mutex // serialises Apply, Reload and Close

	// mu guards st. A write to a file holds it for reading for the whole
	// write; Apply and Close swap st holding it for writing and only then
	// close what the old state had open, so no write ever reaches a closed
	// file. Writes to stdout and stderr release it before writing: they are
	// never closed, and a blocked terminal or pipe must not hold up Apply.
	mu sync.RWMutex
	st *state // nil once closed
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
	lines map[string]*[2]*sink
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
	if pair, ok := st.lines[o.name]; ok {
		return pair[streamIndex(o.stream)]
	}
	return st.services
}

// resolveLines fills st.lines from st.service: service.NAME.STREAM, else
// service.NAME, else services.
func (st *state) resolveLines() {
	st.lines = map[string]*[2]*sink{}
	for k := range st.service {
		name := k
		if i := strings.LastIndexByte(k, '.'); i >= 0 {
			name = k[:i]
		}
		if _, done := st.lines[name]; done {
			continue
		}
		var pair [2]*sink
		for i, stream := range []string{"out", "err"} {
			s, ok := st.service[name+"."+stream]
			if !ok {
				if s, ok = st.service[name]; !ok {
					s = st.services
				}
			}
			pair[i] = s
		}
		st.lines[name] = &pair
	}
}

// NewRouter takes over log and serviceLog (they may be the same logger):
// their Out becomes io.Discard, their Formatter a no-op, and a hook of the
// Router writes every entry. Until the first Apply everything goes to
// stderr in the text format; the loggers' levels are left alone until then.
func NewRouter(home string, log, serviceLog *logrus.Logger) *Router {
	r := &Router{
		home: home, log: log, serviceLog: serviceLog, report: os.Stderr,
		stdout: &sink{name: "stdout", w: os.Stdout},
		stderr: &sink{name: "stderr", w: os.Stderr},
	}
	r.st = &state{
		cfg: &Config{level: logrus.InfoLevel}, sinks: map[string]*sink{"stderr": r.stderr},
		cfkd: r.stderr, services: r.stderr, audit: r.stderr,
	}
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

func (r *Router) write(e *logrus.Entry, o origin) {
	r.mu.RLock()
	st := r.st
	if st == nil {
		r.mu.RUnlock()
		return
	}
	s := st.route(o)
	if s == nil {
		r.mu.RUnlock()
		return
	}
	// queued like a service line: logging never waits for the disk (an
	// actor logging an event must not block on it)
	p := format(st.cfg.json, e, o)
	r.enqueue(s, len(p), func(b []byte) []byte { return append(b, p...) })
}

// enqueue queues a record to s (see sink.queueAppend) and releases the
// read lock on r.mu the caller holds: at once for stdout and stderr, never
// closed; after queueing for a file, so that it cannot be closed meanwhile
// (a file is closed only once its queue is written).
func (r *Router) enqueue(s *sink, size int, add func(b []byte) []byte) {
	if s.closer == nil {
		r.mu.RUnlock()
		s.queueAppend(size, r.report, add)
		return
	}
	s.queueAppend(size, r.report, add)
	r.mu.RUnlock()
}

// Apply makes cfg current. Everything cfg needs is opened first, every file
// afresh (a rotating file keeps its lumberjack.Logger, which re-opens the
// path on its next write); if any cannot be opened, what was opened is
// closed, the current configuration stays and the error is returned. Then
// the configuration is swapped in, the loggers' levels set, and the files of
// the old configuration closed. Errors closing them are reported, not
// returned: the new configuration is in place.
func (r *Router) Apply(cfg *Config) error {
	if cfg == nil {
		return errors.New("logconf: nil config")
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	r.mu.RLock()
	old := r.st
	r.mu.RUnlock()
	if old == nil {
		return ErrClosed
	}
	st, reopen, err := r.open(cfg, old)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.st = st
	r.mu.Unlock()
	for _, l := range []*logrus.Logger{r.log, r.serviceLog} {
		if l != nil {
			l.SetLevel(cfg.level)
		}
	}
	for _, s := range reopen {
		r.closeReported(s)
	}
	for name, s := range old.sinks {
		if st.sinks[name] != s {
			r.closeReported(s)
		}
	}
	return nil
}

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
		s, ok := old.sinks[name]
		if ok && s.rot != nil && s.maxSizeMB == cfg.maxSizeMB && s.maxBackups == cfg.maxBackups {
			if err := probe(path); err != nil {
				return nil, fmt.Errorf("log destination %s: %w", d, err)
			}
			reopen = append(reopen, s)
		} else if s, err = openFile(path, cfg.maxSizeMB, cfg.maxBackups); err != nil {
			return nil, fmt.Errorf("log destination %s: %w", d, err)
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
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading log config: %w", err)
	}
	defer f.Close()
	cfg, err := Parse(path, f)
	if err != nil {
		return err
	}
	return r.Apply(cfg)
}

// WriteErrors counts the records lost by failed writes of each current
// destination, by name ("file:/abs/path", "stderr", "stdout"); a
// destination without failures is absent.
func (r *Router) WriteErrors() map[string]uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := map[string]uint64{}
	if r.st != nil {
		for name, s := range r.st.sinks {
			if n := s.errs.Load(); n > 0 {
				out[name] = n
			}
		}
	}
	return out
}

// Sync returns once every record logged before it to a current
// destination was written.
func (r *Router) Sync() {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.st != nil {
		for _, s := range r.st.sinks {
			s.sync()
		}
	}
}

// Close closes every file. Entries logged afterwards are dropped (the
// loggers still write to io.Discard); Apply and Reload return ErrClosed.
// Closing twice is a no-op.
func (r *Router) Close() error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	r.mu.Lock()
	st := r.st
	r.st = nil
	r.mu.Unlock()
	if st == nil {
		return nil
	}
	var errs []error
	for _, s := range st.sinks {
		if err := s.close(); err != nil {
			errs = append(errs, fmt.Errorf("closing log destination %s: %w", s.name, err))
		}
	}
	// what is queued for the terminal, unless it is stalled
	r.stdout.syncWithin(time.Second)
	r.stderr.syncWithin(time.Second)
	return errors.Join(errs...)
}
