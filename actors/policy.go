package actors

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/keycount"
	"github.com/cfk/cfk/internal/peeruid"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

// ConsolePolicy says who gets in through an admin console and with what
// rights (REFERENCE §5.2), and bounds the connections (REFERENCE §5.4).
// Its fields are set before the console starts and not changed after;
// one policy may serve several consoles, which then share the bound on
// connections.
type ConsolePolicy struct {
	// UNIX consoles. AdminUIDs get admin (root and cfkd's own uid);
	// the members of Groups get their level; anyone else is refused at
	// connect.
	AdminUIDs []uint32
	Groups    []GroupRight

	// TCP consoles. With Tokens, a client has no rights until `auth
	// TOKEN`; with Insecure (and no Tokens), every client gets
	// InsecureLevel at once, and each connection is logged with a
	// warning. With neither, every client is refused.
	Tokens        *rights.Store
	Insecure      bool
	InsecureLevel rights.Level

	// Cap is the most any peer gets (--command-only: operate); zero
	// means admin.
	Cap rights.Level

	// MaxConnections bounds the admin connections open at once (0: no
	// bound but the fd share, REFERENCE §5.4); the next is answered
	// `ERROR: too many connections` and closed.
	MaxConnections int
	// IdleTimeout closes a connection that has read nothing for that long
	// while no request of its is being served (0: never).
	IdleTimeout time.Duration
	// AuthDelay is how long a failed auth waits for its answer
	// (DefaultAuthDelay when zero).
	AuthDelay time.Duration
	// AuthTimeout closes a client of a console with Tokens that has not
	// authenticated that long after it connected (DefaultAuthTimeout
	// when zero): unauthenticated clients cannot hold the connections'
	// places for the idle timeout.
	AuthTimeout time.Duration

	active   atomic.Int64    // connections open
	unauthed keycount.Counts // TCP connections not authenticated yet, by unauthedKey
	shares   keycount.Counts // connections of peers that are not admin, by peer (shareHold)
	initOnce sync.Once
	refuses  chan struct{} // a token per refusal being written
	refused  RecordLimit   // the audit records of refused connections
	// refusedLate sets refused's Late with the first refusal's logger
	refusedLate sync.Once
}

// RecordLimit lets through one record a second of what anyone may cause
// again and again (a refused connection, an HTTP request with no known
// token), and counts those it keeps back (REFERENCE §5.5). The zero value
// is ready.
//
// The count goes with the next record let through. With Late set, a count
// that no record comes to carry (what caused them stopped: a shortage
// ended) is handed to Late once no record was let through for LateAfter:
// a one-shot timer, armed only while records are kept back, so that an
// idle cfkd does nothing (while they come, one a second, it fires once
// every LateAfter at most, and waits on). Late runs on the timer's
// goroutine, not under the lock; the count it gets is a record of that
// second.
type RecordLimit struct {
	Now  func() time.Time // time.Now when nil (tests move it)
	Late func(muted int)  // the count no record carried (nil: it waits for one)
	// LateAfter is how long after the last record let through a count
	// waits for the next to carry it before it goes to Late; lateAfter
	// when 0
	LateAfter time.Duration
	mu        sync.Mutex
	last      time.Time
	muted     int         // kept back since the last let through
	lastAt    time.Time   // when the last was let through, by time.Now (the timer's clock)
	timer     *time.Timer // Late's, while armed
}

// lateAfter is how long after the last record let through a count waits
// for the next to carry it, before it goes to Late: a second for the
// next record to be let through, and a second more for one to come
// (starts held back are retried each second).
const lateAfter = 2 * time.Second

// Allow says whether a record may be written now, and how many were kept
// back since the last one let through.
func (l *RecordLimit) Allow() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	if !l.last.IsZero() && now.Sub(l.last) < time.Second {
		l.muted++
		if l.Late != nil && l.timer == nil {
			l.timer = time.AfterFunc(l.lateIn(), l.late)
		}
		return false, 0
	}
	muted := l.muted
	l.last, l.muted = now, 0
	if l.Late != nil {
		l.lastAt = time.Now()
	}
	return true, muted
}

// lateIn is how long the count of now waits for a record to carry it.
// Under mu.
func (l *RecordLimit) lateIn() time.Duration {
	after := l.LateAfter
	if after <= 0 {
		after = lateAfter
	}
	return time.Until(l.lastAt.Add(after))
}

// late is the timer's: it hands the count to Late, unless a record let
// through carried it, or one was let through less than LateAfter ago
// (the next may carry it: it waits on).
func (l *RecordLimit) late() {
	l.mu.Lock()
	l.timer = nil
	muted := l.muted
	if muted == 0 {
		l.mu.Unlock()
		return
	}
	if wait := l.lateIn(); wait > 0 {
		l.timer = time.AfterFunc(wait, l.late)
		l.mu.Unlock()
		return
	}
	now := time.Now()
	l.lastAt = now
	if l.Now != nil {
		now = l.Now()
	}
	l.last, l.muted = now, 0
	l.mu.Unlock()
	l.Late(muted)
}

// mutedSince is how cfkd's own records say the count of those a
// RecordLimit kept back of what (a plural: `starts held back by cfkd's
// shortage`): `N more WHAT since the last such record, not logged`, the
// line its Late logs, or, in ` (and ...)`, the suffix of the next record
// let through.
func mutedSince(muted int, what string) string {
	return strconv.Itoa(muted) + " more " + what + " since the last such record, not logged"
}

// mutedLastSecond is the suffix of a record a RecordLimit let through
// that counts those it kept back before it, of the same kind: ` (and N
// MORE in the last second, not logged)`, MORE being `more`, or `more
// WHAT` where the record does not say what they were.
func mutedLastSecond(muted int, more string) string {
	return " (and " + strconv.Itoa(muted) + " " + more + " in the last second, not logged)"
}

// GroupRight gives the members of a group a level on a UNIX console
// (--admin-group GROUP[:LEVEL]).
type GroupRight struct {
	GID   uint32
	Name  string // for the logs
	Level rights.Level
}

// admission is what the accept goroutine decided for one connection.
type admission struct {
	refuse error  // refused at connect with this error
	why    string // what the log adds to it
	peer   string
	gate   *gate
	warn   string // logged when the connection starts (--insecure-tcp)
	// kept: a UNIX peer that is not admin by who it is (a member of a
	// group with read or operate): it may not take the places kept for
	// those that are (take)
	kept bool
	// shareKey: the peer whose share the connection takes a place in at
	// connect, its level known then and not admin (shareHold); "" when
	// it is admin, or on TCP with tokens (at its auth)
	shareKey string
}

func (p *ConsolePolicy) init() {
	p.initOnce.Do(func() {
		p.refuses = make(chan struct{}, maxRefusing)
		p.unauthed.PerKey = unauthedPerAddr
	})
}

func (p *ConsolePolicy) authTimeout() time.Duration {
	if p.AuthTimeout <= 0 {
		return DefaultAuthTimeout
	}
	return p.AuthTimeout
}

func (p *ConsolePolicy) cap() rights.Level {
	if p.Cap == rights.None {
		return rights.Admin
	}
	return p.Cap
}

// admit decides for conn, in the accept goroutine: it reads the peer's
// credentials of a UNIX connection (getsockopt: never in an actor).
func (p *ConsolePolicy) admit(conn net.Conn, log *logrus.Logger) admission {
	g := &gate{cap: p.cap(), delay: p.AuthDelay, log: log}
	if g.delay <= 0 {
		g.delay = DefaultAuthDelay
	}
	if _, ok := conn.(*net.UnixConn); ok || conn.LocalAddr().Network() == "unix" {
		return p.admitUnix(conn, g)
	}
	a := admission{peer: peerName(conn), gate: g}
	switch {
	case p.Tokens != nil:
		g.tokens = p.Tokens
	case p.Insecure:
		g.level = min(p.InsecureLevel, g.cap)
		a.warn = fmt.Sprintf("insecure TCP console (--insecure-tcp): %s gets %v without a token", a.peer, g.level)
		if p.InsecureLevel != rights.Admin {
			a.shareKey = unauthedKey(conn)
		}
	default:
		a.refuse, a.why = messages.ErrNotAuthorized, "a TCP console with neither tokens nor --insecure-tcp"
	}
	return a
}

// UserLevel is the UNIX console's rule (REFERENCE §5.2), before the Cap:
// admin for AdminUIDs, a group's level for its members (inGroup says
// whether the user is in a group, called only for the groups that would
// raise its level), else None. cfkd's HTTP listener applies it to the
// uid of a loopback peer (REFERENCE §10.1).
func (p *ConsolePolicy) UserLevel(uid uint32, inGroup func(gid uint32) bool) rights.Level {
	level := rights.None
	for _, u := range p.AdminUIDs {
		if uid == u {
			level = rights.Admin
		}
	}
	for _, gr := range p.Groups {
		if gr.Level > level && inGroup(gr.GID) {
			level = gr.Level
		}
	}
	return level
}

func (p *ConsolePolicy) admitUnix(conn net.Conn, g *gate) admission {
	cred, err := readPeerCred(conn)
	if err != nil {
		return admission{peer: peerName(conn), refuse: messages.ErrNotAuthorized, why: err.Error()}
	}
	a := admission{peer: fmt.Sprintf("unix:uid=%d,pid=%d", cred.uid, cred.pid), gate: g}
	level := p.UserLevel(cred.uid, cred.inGroup)
	if level == rights.None {
		a.refuse, a.why = messages.ErrNotAuthorized, "neither root, cfkd's user nor a member of an admin group"
		return a
	}
	g.level = min(level, g.cap)
	a.kept = level != rights.Admin
	if a.kept {
		a.shareKey = "uid " + strconv.FormatUint(uint64(cred.uid), 10)
	}
	return a
}

// connFdShare is the part of cfkd's fd limit that admin connections may
// hold: a quarter. The rest stays for services (REFERENCE §5.4, §7.6).
const connFdShare = 4

// maxConns is the bound on connections now: MaxConnections, and at most a
// quarter of the soft fd limit (read each time: prlimit may change it).
func (p *ConsolePolicy) maxConns() int {
	n := int(softNofile() / connFdShare)
	if p.MaxConnections > 0 && p.MaxConnections < n {
		n = p.MaxConnections
	}
	return max(n, 1)
}

func softNofile() uint64 {
	var lim syscall.Rlimit
	// Cur is an int64 on FreeBSD
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || uint64(lim.Cur) > 1<<30 {
		return 1 << 30
	}
	return uint64(lim.Cur)
}

// adminReserve is how many of the connections' places only admin peers
// of a UNIX console may take (a quarter of them when the bound is under
// 4×adminReserve): the clients of a group with read or operate, which
// the idle timeout never closes on a UNIX socket, cannot hold every
// place and lock root and cfkd's user out (REFERENCE §5.4).
const adminReserve = 8

// take counts a new connection; false when it is one too many. A UNIX
// peer that is not admin by who it is (kept) may not take the places kept
// for those that are.
func (p *ConsolePolicy) take(kept bool) bool {
	if p.active.Add(1) > int64(p.limit(kept)) {
		p.active.Add(-1)
		return false
	}
	return true
}

func (p *ConsolePolicy) release() { p.active.Add(-1) }

// unauthedPerAddr bounds the connections from one IP address (one uid on
// loopback: unauthedKey) to a TCP console with tokens that have not
// authenticated yet: whoever reaches the port from one address cannot
// hold every place with connections that never authenticate (REFERENCE
// §5.4).
const unauthedPerAddr = 32

// takeUnauthed counts a connection of a peer (unauthedKey) that has not
// authenticated yet; false when it has unauthedPerAddr of them already.
func (p *ConsolePolicy) takeUnauthed(addr string) bool {
	ok, _, _ := p.unauthed.Take(addr)
	return ok
}

// releaseUnauthed gives back what takeUnauthed counted: the connection
// authenticated, or closed.
func (p *ConsolePolicy) releaseUnauthed(addr string) { p.unauthed.Give(addr) }

// unauthedKey is what a TCP connection not authenticated yet is counted
// under, and then its place in its peer's share (shareHold) (REFERENCE
// §5.4): on loopback, where every local user is the one
// address 127.0.0.1, the uid that owns the client's socket (peeruid: one
// local user cannot hold the places of the others); elsewhere, or when
// the kernel does not say (macOS, FreeBSD; a client gone already), the
// peer's IP address. It reads the kernel's socket table: the accept
// goroutine calls it, never an actor.
func unauthedKey(c net.Conn) string {
	if peeruid.IsLoopback(c) {
		if uid, err := peeruid.Of(c); err == nil {
			return "uid " + strconv.FormatUint(uint64(uid), 10)
		}
	}
	return ipOf(c)
}

// ipOf is the IP address of a TCP connection's peer.
func ipOf(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return c.RemoteAddr().String()
}

// limit is the bound on connections for a peer (kept: REFERENCE §5.4).
func (p *ConsolePolicy) limit(kept bool) int {
	n := p.maxConns()
	if kept {
		n -= min(adminReserve, n/4)
	}
	return n
}

// tooMany is what the log says of a connection refused as one too many.
func (p *ConsolePolicy) tooMany(kept bool) string {
	n, all := p.limit(kept), p.maxConns()
	if n == all {
		return fmt.Sprintf("%d open", n)
	}
	return fmt.Sprintf("%d open: the other %d places are kept for admin peers", n, all-n)
}

// logRefusal logs a connection refused at connect, at most one line a
// second (a flood of connections must not fill the disk): the next line
// says how many more were refused meanwhile, and when none comes (the
// flood ended) a line of their own does, 2 s after the last.
func (p *ConsolePolicy) logRefusal(log *logrus.Logger, peer string, why error, detail string) {
	e := log.WithFields(logrus.Fields{"category": AuditCategory, "peer": peer})
	if errors.Is(why, messages.ErrTooManyConnections) && detail == "" {
		detail = p.tooMany(false)
	}
	p.refusedLate.Do(func() {
		// the count of a flood's last second, which no record comes to
		// carry once it ended (REFERENCE §5.5)
		p.refused.Late = func(muted int) {
			log.WithField("category", AuditCategory).Warnf("%d more connections refused since the last line, not logged", muted)
		}
	})
	ok, muted := p.refused.Allow()
	if !ok {
		return
	}
	if muted > 0 {
		e.Warnf("connection refused: %v (%s; %d more refused since the last line)", why, detail, muted)
	} else {
		e.Warnf("connection refused: %v (%s)", why, detail)
	}
}

// guardedConn is an admin connection as its connection actor sees it:
// closing it gives its place back (once), reading it ends with a timeout
// once it is idle, and so does writing replies its client does not take
// (writeReplies); a timer closes it at the auth deadline, whether its
// reader reads or waits (armAuth) (REFERENCE §5.4).
type guardedConn struct {
	net.Conn
	once    sync.Once
	release func()
	idle    time.Duration
	busy    func() (bool, time.Time) // a request of the connection is being served; when the last one was answered
	onIdle  func()
	// idleOnce: the reader and the writer may both find the connection
	// idle; it is logged once
	idleOnce sync.Once
	// lastRead is when Read last read something (UnixNano): the writer's
	// idle clock runs from it too (writeReplies)
	lastRead atomic.Int64
	// authBy: a client that has not authenticated by then is closed
	// (zero: no such bound); authed is set by the connection's actor.
	authBy time.Time
	authed atomic.Bool
	// onAuthTimeout logs the close at the auth deadline and closes the
	// connection (connIO.abandon); run once (authExpired)
	onAuthTimeout func()
	authOnce      sync.Once
	// judged waits until the requests read are answered, or done holds
	// (connIO.judged): an auth read before the deadline is judged after it
	judged func(done func() bool)
	// unauthed is given back once, at the first auth or the close
	// (ConsolePolicy.takeUnauthed); nil when not counted
	unauthed     func()
	unauthedOnce sync.Once
	// share is the connection's place in its peer's share; nil for a
	// peer admin at connect
	share *shareHold
	// spareBack gives the accept loop's spare back, once the socket is
	// closed, for a connection accepted on it (acceptSpare.guard); nil
	// for the others
	spareBack func()

	mu     sync.Mutex
	forced bool // a read deadline was set from outside (drain): no idle deadline any more
	// wforced is the write deadline set from outside (drain, abandon, a
	// stream cut off); zero: none
	wforced   time.Time
	authTimer *time.Timer // armAuth's, until the auth or the close
}

func (g *guardedConn) Close() error {
	err := g.Conn.Close()
	g.once.Do(func() {
		if g.release != nil {
			g.release()
		}
		if g.spareBack != nil {
			g.spareBack()
		}
	})
	g.giveUnauthed()
	g.stopAuthTimer()
	if g.share != nil {
		g.share.give(true)
	}
	return err
}

// authenticated is told by the connection's actor that its client
// authenticated: the auth deadline no longer applies, and the connection
// no longer counts as not authenticated (ConsolePolicy.takeUnauthed).
func (g *guardedConn) authenticated() {
	g.authed.Store(true)
	g.giveUnauthed()
	g.stopAuthTimer()
}

func (g *guardedConn) giveUnauthed() {
	g.unauthedOnce.Do(func() {
		if g.unauthed != nil {
			g.unauthed()
		}
	})
}

// Read reads with the idle deadline, and the auth deadline until the
// client has authenticated: when the idle one passes while no request is
// being served, or the auth one passes and the lines read by then hold no
// auth (their answers tell), the read fails with the timeout, and the
// reader ends the connection as if the client had closed it.
func (g *guardedConn) Read(b []byte) (int, error) {
	if g.idle <= 0 && g.authBy.IsZero() {
		return g.Conn.Read(b)
	}
	from := time.Now() // the idle clock: nothing read since
	for {
		idleAt := from.Add(g.idle)
		g.mu.Lock()
		if !g.forced {
			var dl time.Time
			if g.idle > 0 {
				dl = idleAt
			}
			if !g.authBy.IsZero() && !g.authed.Load() && (dl.IsZero() || g.authBy.Before(dl)) {
				dl = g.authBy
			}
			g.Conn.SetReadDeadline(dl)
		}
		g.mu.Unlock()
		n, err := g.Conn.Read(b)
		if n > 0 {
			g.lastRead.Store(time.Now().UnixNano())
		}
		if n > 0 || err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		g.mu.Lock()
		forced := g.forced
		g.mu.Unlock()
		now := time.Now()
		switch {
		case forced:
			return n, err
		case !g.authBy.IsZero() && !g.authed.Load() && !now.Before(g.authBy):
			// a line read in time may be an auth the actor has not
			// judged yet: its answer decides (REFERENCE §5.4)
			if g.judged != nil {
				if g.judged(g.authed.Load); g.authed.Load() {
					continue
				}
			}
			g.authExpired()
			return n, err
		case g.idle <= 0, now.Before(idleAt):
			continue // the auth deadline of a client that authenticated since
		}
		if g.busy != nil {
			busy, since := g.busy()
			if busy {
				from = now // a request being served: not idle while it is
				continue
			}
			if since.After(from) {
				// a request answered meanwhile: idle from its answer on,
				// not from before it (a request longer than the idle
				// timeout left a client a fraction of it)
				from = since
				if now.Before(from.Add(g.idle)) {
					continue
				}
			}
		}
		g.idled()
		return n, err
	}
}

func (g *guardedConn) SetReadDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.forced = true
	return g.Conn.SetReadDeadline(t)
}

func (g *guardedConn) SetDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.forced, g.wforced = true, t
	return g.Conn.SetDeadline(t)
}

// pending reports whether a request of the connection is read and not yet
// answered and written back, or the connection is a stream (events, tail
// follow): the idle clock does not run then. since is when the last
// request was answered: the idle clock runs from then, not from before.
func (io *connIO) pending() (busy bool, since time.Time) {
	io.mu.Lock()
	defer io.mu.Unlock()
	return io.reqs > 0 || io.feed != nil, io.doneAt
}
