package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/keycount"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

//go:embed static
var staticFS embed.FS

// Defaults of Options.
const (
	// DefaultQueue is the events queued for one page before it is cut off.
	DefaultQueue = 4096
	// DefaultTimeout bounds a snapshot (the controller answers at once:
	// only a controller buried under requests takes long).
	DefaultTimeout = 10 * time.Second
	// DefaultStreams bounds the streams open at once (event streams and
	// log follows): each holds a queue and is woken by every change.
	DefaultStreams = 256
	// DefaultWriteTimeout bounds a write to a client, 64 KiB at a time
	// (a stream's batch, a response): a client that takes nothing for that
	// long is cut off.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultConns bounds the connections open at once: the streams, and
	// as many again for the rest.
	DefaultConns = 2 * DefaultStreams
	// DefaultReadTimeout bounds the reading of a request's head, and of
	// its body: a client that trickles either is cut off.
	DefaultReadTimeout = 10 * time.Second
	// maxBody bounds a request's body (no request of the API takes one:
	// it is read and dropped).
	maxBody = 64 << 10
	// maxLogLines bounds n in /api/services/NAME/log.
	maxLogLines = 1000
)

// Options configure a Server. Source is required.
type Options struct {
	Source Source
	// Events, when set, makes the page live (GET /api/events); without
	// it the stream sends the snapshot and nothing more.
	Events Events
	// Logs, when set, gives the log panel; nil disables it.
	Logs LogSource
	// Token, when not empty, allows the POST endpoints to requests that
	// carry it (Authorization: Bearer TOKEN); empty: read-only.
	Token string
	// Tokens, when not nil, allows the POST endpoints to requests whose
	// bearer token is one of them with the operate level or more (a token
	// file of the admin console's format, REFERENCE §5.3): the same levels
	// as the consoles. Each request reads the store's current tokens: a
	// reload (SIGUSR1) takes effect at the next request, and ends the
	// streams a withdrawn token opened before their next batch
	// (streamCheck).
	Tokens  *rights.Store
	Log     *logrus.Logger
	Version string
	// Queue is the events queued per page (DefaultQueue); Timeout bounds
	// a snapshot (DefaultTimeout).
	Queue   int
	Timeout time.Duration
	// Streams bounds the streams open at once (DefaultStreams): one more
	// is answered 503 at once.
	Streams int
	// StreamsPerPeer bounds the streams of one peer open at once
	// (REFERENCE §10.1), the peer of its connection (ConnsPerPeer's): one
	// more is answered 503 at once. 0: half of Streams; -1: no bound per
	// peer.
	StreamsPerPeer int
	// Conns bounds the connections open at once (DefaultConns): past it,
	// a new one waits in the listen backlog until one closes; an idle
	// keep-alive connection is closed to make room (bounds.go), and no
	// peer holds more than ConnsPerPeer.
	// WriteTimeout cuts off a client that takes nothing of a response for
	// that long (DefaultWriteTimeout).
	Conns        int
	WriteTimeout time.Duration
	// ConnsPerPeer bounds the connections of one peer open at once
	// (REFERENCE §10.1): a uid on loopback, an IP address elsewhere; one
	// more is answered 503 at once and closed. 0: half of Conns; -1: no
	// bound per peer.
	ConnsPerPeer int
	// ReadTimeout bounds the reading of a request's head, and of its
	// body (DefaultReadTimeout): a client that trickles them is cut off.
	ReadTimeout time.Duration
	// Reader, when set, says whether the peer of a request that carries
	// no token may read: every GET and HEAD but the page's shell (/ and
	// /static/, no data) and /api/auth (a token check), REFERENCE §10.1. It
	// returns nil when the peer may, else why not (told to the client);
	// local and remote are the connection's ends. It is called in the
	// request's goroutine, for each such request. cfkd's looks up the uid
	// that owns a loopback peer's socket and applies the UNIX console's
	// rule. Without a Reader, only a token reads (unless OpenRead); the
	// Reader is asked only for a request whose Host is localhost or a
	// loopback address (no DNS rebinding through a user's browser, even
	// without LoopbackOnly).
	Reader func(local, remote netip.AddrPort) error
	// OpenRead lets every GET in with neither a token nor the Reader's
	// yes: whoever reaches the listener reads (--insecure-http, the
	// behaviour of before).
	OpenRead bool
	// LoopbackOnly makes the server answer only requests whose Host is
	// localhost or a loopback address (cfkd sets it on a loopback
	// listener): a web page cannot reach it through DNS rebinding.
	LoopbackOnly bool
	// AuthDelay is how long a request with a wrong token waits for its
	// 401, as a console's failed auth does (actors.DefaultAuthDelay when
	// zero): tokens are not guessed faster here than there.
	AuthDelay time.Duration
	// AfterBigRead, when set, is called after a response built from the
	// records of at least BigRead services (a scrape, the service list, a
	// page's first snapshot): cfkd returns the garbage of it to the OS a
	// little later, so that scrapes do not keep its RSS up.
	AfterBigRead func()
	// LogLosses, when set, gives for each current log destination the
	// records it lost and dropped (REFERENCE §6.2): /metrics' log
	// families, read at each scrape. It must not wait (cfkd's reads
	// atomic counters: logconf.Router.Losses).
	LogLosses func() []logconf.Loss
}

// BigRead is the number of services that makes a read big (AfterBigRead).
const BigRead = 256

// Server is cfkd's HTTP server: the status page, its API and /metrics
// (REFERENCE §10).
type Server struct {
	o    Options
	hub  *hub
	mux  *http.ServeMux
	http *http.Server
	quit chan struct{} // closed by Close: the streams end
	once sync.Once
	// streams holds a slot per open stream (Options.Streams of them),
	// streamPeers their count per peer (StreamsPerPeer each): bounds.go
	streams     chan struct{}
	streamPeers keycount.Counts
	// conns are the streams' connections, taken from http.Server
	conns streamConns
	// refusals bounds the audit records of requests with no known token
	// (none, a bad one: anyone who reaches the port may send them), as
	// the console's refused connections are
	refusals actors.RecordLimit
	// connRefusals bounds the log records of connections refused as one
	// too many of their peer
	connRefusals actors.RecordLimit
	// streamRefusals bounds the log records of streams refused past
	// their bounds (bounds.go's openStream)
	streamRefusals actors.RecordLimit
}

// limited writes a record that l bounds to one a second at most: it
// calls write, when l allows a record, with what follows the record's
// text, the count of those left out since the last one or "".
func limited(l *actors.RecordLimit, write func(more string)) {
	ok, muted := l.Allow()
	if !ok {
		return
	}
	more := ""
	if muted > 0 {
		more = fmt.Sprintf(" (%d more refused since the last record)", muted)
	}
	write(more)
}

// lateCounts logs the count of the last second of a flood of refusals,
// which no record comes to carry once it ended, on its own, 2 s after the
// last record (actors.RecordLimit's Late: a one-shot timer armed only
// while records are kept back).
func (s *Server) lateCounts() {
	log := s.o.Log
	s.refusals.Late = func(muted int) {
		log.WithFields(logrus.Fields{"category": actors.AuditCategory, "right": rights.None.String()}).
			Warnf("http: %d more requests refused since the last record, not logged", muted)
	}
	s.connRefusals.Late = func(muted int) {
		log.Warnf("http: %d more connections refused since the last record, not logged", muted)
	}
	s.streamRefusals.Late = func(muted int) {
		log.Warnf("http: %d more streams refused since the last record, not logged", muted)
	}
}

// connRefused logs a connection refused as one too many of its peer, one
// record a second at most.
func (s *Server) connRefused(peer string, open int) {
	limited(&s.connRefusals, func(more string) {
		s.o.Log.Warn(fmt.Sprintf("http: connection refused: too many connections from %s (%d open, the most one peer may hold)", peer, open) + more)
	})
}

// streamRefused logs a stream refused past its bounds (why: the 503's
// text), one record a second at most: the path (shownPath: a log
// follow's is refused before its NAME is read, and was written whole, up
// to the 1 MiB of a request's head), and the peer when the bound in all
// refused it (the per-peer text names it).
func (s *Server) streamRefused(r *http.Request, why, peer string, perPeer bool) {
	limited(&s.streamRefusals, func(more string) {
		msg := "http: stream refused: " + why + ": " + r.Method + " " + shownPath(r)
		if !perPeer && peer != "" {
			msg += " from " + peer
		}
		s.o.Log.Warn(msg + more)
	})
}

// refused writes the audit record of a request refused with no known
// token, one a second at most.
func (s *Server) refused(r *http.Request, format string, args ...any) {
	limited(&s.refusals, func(more string) {
		s.audit(r, nil).Warn(fmt.Sprintf(format, args...) + more)
	})
}

// New makes a server; Serve runs it.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = logrus.StandardLogger()
	}
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Streams <= 0 {
		o.Streams = DefaultStreams
	}
	if o.Conns <= 0 {
		o.Conns = DefaultConns
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	switch {
	case o.ConnsPerPeer == 0:
		o.ConnsPerPeer = max(o.Conns/2, 1)
	case o.ConnsPerPeer < 0:
		o.ConnsPerPeer = 0 // keycount: no bound
	}
	switch {
	case o.StreamsPerPeer == 0:
		o.StreamsPerPeer = max(o.Streams/2, 1)
	case o.StreamsPerPeer < 0:
		o.StreamsPerPeer = 0 // keycount: no bound
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.AuthDelay <= 0 {
		o.AuthDelay = actors.DefaultAuthDelay
	}
	if o.Token != "" && o.Tokens == nil {
		// looked up as a token file's: hashes compared in constant time,
		// the token's length not told by the time a wrong one takes
		o.Tokens = rights.StoreOf(rights.Bare(o.Token))
	}
	s := &Server{o: o, hub: newHub(o.Events, o.Queue), mux: http.NewServeMux(), quit: make(chan struct{}),
		streams: make(chan struct{}, o.Streams)}
	s.streamPeers.PerKey = o.StreamsPerPeer
	s.lateCounts()
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, static, "index.html")
	})
	s.mux.Handle("GET /metrics", newMetrics(o.Source, o.Timeout, s.bigRead, o.LogLosses))
	s.mux.HandleFunc("GET /api/config", s.config)
	s.mux.HandleFunc("GET /api/auth", s.auth)
	s.mux.HandleFunc("GET /api/services", s.services)
	s.mux.HandleFunc("GET /api/services/{name}", s.service)
	s.mux.HandleFunc("GET /api/services/{name}/log", s.logLines)
	s.mux.HandleFunc("GET /api/services/{name}/log/follow", s.logFollow)
	s.mux.HandleFunc(actionPattern, s.action)
	s.mux.HandleFunc("GET /api/events", s.events)
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: o.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	return s
}

// bigRead calls AfterBigRead after a read of n services, if n is big.
func (s *Server) bigRead(n int) {
	if n >= BigRead && s.o.AfterBigRead != nil {
		s.o.AfterBigRead()
	}
}

// Handler is the server's handler: the routes, behind the Host check
// and the headers every answer gets.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: s.o.WriteTimeout}
		h := w.Header()
		// no other site may frame the page (its buttons) nor sniff types:
		// on every answer, the 408 and 413 of a body included
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		bodyLen, ok := s.dropBody(w, r)
		if !ok {
			return
		}
		if s.o.LoopbackOnly && !loopbackHost(r.Host) {
			msg := "cfkd answers on a loopback address only to Host: localhost or a loopback address (DNS rebinding guard)"
			if r.Host == "" {
				// HTTP/1.0 needs none: say what is missing, not that
				// some Host was wrong
				msg = "a request without a Host header (HTTP/1.0) is not answered on a loopback address: send Host: localhost (DNS rebinding guard)"
			}
			writeError(w, http.StatusMisdirectedRequest, msg)
			return
		}
		if n := len(r.Header.Values("Authorization")); n > 1 {
			// which one would rule is no client's guess (a proxy that
			// adds its own token to its client's): none does
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%d Authorization headers: send one (nothing was done)", n))
			s.refused(r, "not authorized: %s (%d Authorization headers)", auditedRequest(r), n)
			return
		}
		if s.tokenInURL(w, r) {
			return
		}
		api := apiPath(r.URL.Path)
		acts := r.Method != http.MethodGet && r.Method != http.MethodHead
		if !acts && !s.mayRead(w, r) {
			return
		}
		if !api && !acts {
			s.mux.ServeHTTP(w, r)
			return
		}
		if api && s.notClean(w, r, acts) {
			return
		}
		_, pattern := s.mux.Handler(r)
		if pattern == actionPattern && logPath(r) {
			pattern = "" // the log's path, which takes no POST: a 405 below
		}
		if pattern == "" {
			// the mux's own answer: a 404 or a 405 (text/plain) becomes
			// JSON (REFERENCE §10.1), with the mux's Allow header; any
			// other (the redirect of a path to clean, outside /api/) goes
			// as it was
			rec := &statusOnly{header: http.Header{}}
			if logPath(r) {
				rec.notPost()
			} else {
				s.mux.ServeHTTP(rec, r)
			}
			if rec.code != http.StatusNotFound && rec.code != http.StatusMethodNotAllowed {
				s.mux.ServeHTTP(w, r)
				return
			}
			if acts { // would act, and names no action: a refusal (REFERENCE §5.5)
				s.refuseUnknown(r, "no such action: "+auditedRequest(r))
			}
			if !api {
				s.mux.ServeHTTP(w, r)
				return
			}
			if allow := rec.header.Get("Allow"); allow != "" {
				h.Set("Allow", allow)
			}
			writeError(w, rec.code, strings.ToLower(http.StatusText(rec.code))+": "+r.Method+" "+shownPath(r))
			return
		}
		if api && (!s.queryOK(w, r, pattern) || !bodyOK(w, r, pattern, bodyLen)) {
			return
		}
		s.mux.ServeHTTP(w, r)
	})
}

// statusOnly keeps the code and headers a handler writes, not its body.
type statusOnly struct {
	header http.Header
	code   int
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return len(b), nil
}
func (s *statusOnly) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
}

// loopbackHost reports whether a Host header names localhost or a
// loopback address (with or without a port).
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	// the name as a fully qualified one, its root's dot last
	// (`localhost.`, as curl and browsers send it when given so), is the
	// same name: no other site's
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve accepts connections on ln until Close; it returns nil then.
func (s *Server) Serve(ln net.Listener) error {
	ll := limit(ln, s.o.Conns, s.o.ConnsPerPeer)
	ll.refused = s.connRefused
	s.http.ConnContext = withPeer
	prev := s.http.ConnState // a test's
	s.http.ConnState = func(c net.Conn, st http.ConnState) {
		ll.connState(c, st)
		if prev != nil {
			prev(c, st)
		}
	}
	err := s.http.Serve(ll)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// streamGrace is how long Close lets the streams send their last events
// before it closes their connections.
const streamGrace = 500 * time.Millisecond

// Close ends the streams, stops accepting, and waits up to 2 seconds for
// the requests in progress (an action waiting for the controller is cut).
// An event stream first sends the changes it holds (the last services
// brought down by a shutdown).
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.quit)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// the streams: Shutdown does not know their connections
		s.conns.closeAll(streamGrace, ctx.Done())
		if err := s.http.Shutdown(ctx); err != nil {
			s.http.Close()
		}
	})
}

// writeJSON writes v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// writeError writes {"ok":false,"error":MSG}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"ok": false, "error": msg})
}

// rawList writes JSON values already encoded as one array.
func rawList(items []string) []byte {
	n := 2
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for k, it := range items {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// infoList is the JSON array of the inspect records (REFERENCE §1.6).
func infoList(svcs []messages.ServiceInfo) []byte {
	items := make([]string, len(svcs))
	for k, i := range svcs {
		items[k] = i.Format()
	}
	return rawList(items)
}

// config answers what the page needs to know of this server, and
// whether the request's token acts (so that the page of a read token
// does not ask /api/auth, whose refusal is audited, at each load).
func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	t, _ := s.token(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"version": s.o.Version, "token": s.o.Token != "" || s.o.Tokens != nil, "logs": s.o.Logs != nil, "live": s.o.Events != nil,
		"acts": t != nil && t.Level.Allows(rights.Operate),
	})
}

func (s *Server) snapshot(r *http.Request, names []string) (actors.Snapshot, error) {
	ctx, cancel := context.WithTimeout(r.Context(), s.o.Timeout)
	defer cancel()
	return s.o.Source.Snapshot(ctx, names)
}

// services answers the inspect records of every service, in name order.
func (s *Server) services(w http.ResponseWriter, r *http.Request) {
	snap, err := s.snapshot(r, nil)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(infoList(snap.Services), '\n'))
	s.bigRead(len(snap.Services))
}

// service answers one inspect record.
func (s *Server) service(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	snap, err := s.snapshot(r, []string{name})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	if len(snap.Services) == 0 {
		unknownService(w, name)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(snap.Services[0].Format() + "\n"))
}

// actionVerbs are the verbs of POST /api/services/NAME/VERB.
var actionVerbs = map[string]messages.Verb{
	"start": messages.VerbStart, "stop": messages.VerbStop, "restart": messages.VerbRestart,
}

// action runs start, stop or restart of one service, for a request with
// the token, and answers once the controller has: 200 {"ok":true,
// "lines":[...]}, 404 for an unknown service, 409 with the controller's
// error otherwise.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	shown := name
	if len(name) > 128 || !messages.ValidName(name) { // a path of any bytes and length: quoted, cut
		shown = strconv.Quote(name[:min(len(name), 128)])
	}
	verb, ok := actionVerbs[r.PathValue("verb")]
	if !ok {
		v := r.PathValue("verb")
		s.refuseUnknown(r, "unknown action "+strconv.Quote(v[:min(len(v), 32)])+" of service "+shown)
		writeError(w, http.StatusNotFound, "unknown action '"+shownName(v)+"' (start, stop or restart)")
		return
	}
	what := "command " + string(verb) + " service " + shown
	audit, ok := s.authorize(w, r, what)
	if !ok {
		return
	}
	audit.Info(what) // as a console's request, when it runs
	ctx, cancel := context.WithTimeout(r.Context(), actors.RequestTimeout)
	defer cancel()
	rep, err := s.o.Source.Do(ctx, verb, name)
	switch {
	case errors.Is(err, ErrBusy):
		writeError(w, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		writeError(w, http.StatusGatewayTimeout, err.Error())
	case errors.Is(rep.Err, messages.ErrNoService):
		unknownService(w, name)
	case rep.Err != nil:
		writeError(w, http.StatusConflict, rep.Err.Error())
	default:
		lines := rep.Lines
		if lines == nil {
			lines = []string{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "lines": lines})
	}
}

// logLines answers the last lines of a service: {"lines":[...]}; n from
// the query (20 by default, maxLogLines at most).
func (s *Server) logLines(w http.ResponseWriter, r *http.Request) {
	if s.o.Logs == nil {
		writeError(w, http.StatusNotFound, "log tail not available in this cfkd")
		return
	}
	n, err := logCount(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := r.PathValue("name")
	lines, err := s.o.Logs.Last(name, n)
	if err != nil {
		logError(w, name, err)
		return
	}
	if lines == nil {
		lines = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": lines})
}

// logError answers the error of a LogSource: an unknown service as on
// every route, another as a 404 with its text.
func logError(w http.ResponseWriter, name string, err error) {
	if errors.Is(err, ErrNotDeclared) {
		unknownService(w, name)
		return
	}
	writeError(w, http.StatusNotFound, err.Error())
}

func logCount(r *http.Request) (int, error) {
	v, err := url.ParseQuery(r.URL.RawQuery) // r.URL.Query() drops what it cannot decode
	if err != nil {
		return 0, fmt.Errorf("bad query: %v", err)
	}
	if !v.Has("n") {
		return 20, nil
	}
	q := v.Get("n") // given empty (n=): not a number either
	// digits only, as command tail reads N (REFERENCE §1.4): Atoi also
	// takes a sign (n=+5, n=-0)
	digits := q != "" && strings.TrimLeft(q, "0123456789") == ""
	n, err := strconv.Atoi(q)
	if digits && errors.Is(err, strconv.ErrRange) {
		return maxLogLines, nil // a whole number, only too big to hold
	}
	if !digits || err != nil || n <= 0 {
		return 0, fmt.Errorf("n=%s: want a whole number of lines, 1 or more (at most %d are sent)", strconv.Quote(q[:min(len(q), 32)]), maxLogLines)
	}
	return min(n, maxLogLines), nil
}
