package actors

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

// AuditCategory is the log category of the audit records (REFERENCE
// §5.5): every operate and admin request run, every refusal, every auth.
// The log configuration routes it with its `audit` key.
const AuditCategory = logconf.AuditCategory

// MaxAuthFailures is how many failed `auth` a connection gets: the last
// one is answered, then the connection is closed (REFERENCE §5.3).
const MaxAuthFailures = 3

// DefaultAuthDelay is how long a failed `auth` waits for its answer.
const DefaultAuthDelay = time.Second

// DefaultAuthTimeout is how long a TCP client has to authenticate once
// connected (REFERENCE §5.4).
const DefaultAuthTimeout = 30 * time.Second

// gate is what a connection's peer may do (REFERENCE §5): its level, and
// the `auth` exchange of a console that takes tokens. It belongs to the
// connection actor (no lock); the only I/O it does is logging.
type gate struct {
	level rights.Level
	cap   rights.Level // no token gives more (--command-only: operate)
	// tokens: the console takes tokens (`auth TOKEN`); nil: it does not,
	// and `auth` answers OK without changing the level.
	tokens *rights.Store
	delay  time.Duration
	log    *logrus.Logger

	authed bool           // an auth succeeded: level is the token's
	sum    rights.Sum     // its token's hash, to find it again after a reload
	seen   *rights.Tokens // the set the token was found in
	token  string         // its name
	fails  int
	// closed: the connection closes once answered (MaxAuthFailures
	// reached, or an auth refused as one too many: shareHold.authAs)
	closed bool
	timer  *time.Timer
	// warnedBeforeAuth: a request before auth was logged (once per
	// connection: a client that does not know it must authenticate
	// would fill the log).
	warnedBeforeAuth bool
	// audited is the entry audit made last, for auditKey: the same fields
	// serve the next record (a pipelined run of declarations makes one a
	// line; logrus copies an entry it logs, never changes it).
	audited  *logrus.Entry
	auditKey auditKey
}

// auditKey is what the fields of an audit record depend on.
type auditKey struct {
	peer   string
	level  rights.Level
	authed bool
	token  string
}

// newGate is the gate of a connection with no policy (tests and the
// consoles started with StartConsole.Privileged alone): admin or operate,
// no token.
func newGate(privileged bool, log *logrus.Logger) *gate {
	g := &gate{level: rights.Operate, cap: rights.Admin, delay: DefaultAuthDelay, log: log}
	if privileged {
		g.level = rights.Admin
	}
	return g
}

func (g *gate) audit(peer string) *logrus.Entry {
	k := auditKey{peer: peer, level: g.level, authed: g.authed, token: g.token}
	if g.audited != nil && k == g.auditKey {
		return g.audited
	}
	f := logrus.Fields{"category": AuditCategory, "peer": peer, "right": g.level.String()}
	if g.authed {
		f["token"] = g.token
	}
	g.audited, g.auditKey = g.log.WithFields(f), k
	return g.audited
}

// intercept handles m when it is for the gate rather than the controller:
// an `auth` line, or, before a token was given, any line (REFERENCE §5.3).
// It reports whether it did; a failed auth is answered after g.delay, as
// the reply of a request in flight (a timer sends the Reply to the actor).
// In a drain it takes the lines before a token too, logged as outside
// one (the first of the connection alone): a client that pipelined
// thousands of them had each logged as the drain read them. An auth is
// then left to the drain (nothing is granted once cfkd drains).
func (c *connection) intercept(ctx actor.Context, m lineReceived) bool {
	g := c.gate
	word, secret := authWords(m.line)
	if word != "auth" {
		if g.tokens == nil || g.authed {
			return false
		}
		if !g.warnedBeforeAuth {
			g.warnedBeforeAuth = true
			g.audit(c.peer).Warn("not authorized: a request before auth")
		}
		c.io.reply(m, messages.ErrorReply(messages.ErrNotAuthorized))
		return true
	}
	if c.draining {
		return false
	}
	if g.tokens == nil { // UNIX or --insecure-tcp: the peer's rights stay
		c.io.reply(m, messages.Reply{})
		return true
	}
	cur := g.tokens.Load() // one set: a reload in between must not leave seen past the token's
	if tok, ok := cur.Lookup(secret); ok && secret != "" {
		gc, _ := c.io.conn.(*guardedConn)
		if gc != nil && gc.share != nil && !gc.share.authAs(tok.Level, tok.Name) {
			// one too many for its peer's share, or a place kept for
			// admin: refused, the level left as it was, and closed
			// (REFERENCE §5.4)
			c.io.reply(m, messages.ErrorReply(messages.ErrTooManyConnections))
			g.closed = true
			c.authExhausted()
			return true
		}
		g.authed, g.sum, g.seen, g.token, g.fails = true, rights.Hash(secret), cur, tok.Name, 0
		g.level = min(tok.Level, g.cap)
		if gc != nil {
			gc.authenticated()
		}
		g.audit(c.peer).Info("auth: token " + tok.Name)
		c.io.reply(m, messages.Reply{})
		return true
	}
	g.fails++
	g.closed = g.fails >= MaxAuthFailures
	e := g.audit(c.peer)
	if g.closed {
		e.Warnf("not authorized: a bad token (%d of %d): closing the connection", g.fails, MaxAuthFailures)
	} else {
		e.Warnf("not authorized: a bad token (%d of %d)", g.fails, MaxAuthFailures)
	}
	c.inFlight, c.busy = m, true
	c.sentAt = time.Now()
	root, self := ctx.ActorSystem().Root, ctx.Self()
	g.timer = time.AfterFunc(g.delay, func() {
		root.Send(self, messages.ErrorReply(messages.ErrNotAuthorized))
	})
	return true
}

// authWords splits an `auth TOKEN` line: "auth" (any case) and the token,
// or "" when the line is not one.
func authWords(line string) (word, secret string) {
	s := strings.TrimSpace(line)
	if len(s) < 4 || !strings.EqualFold(s[:4], "auth") || len(s) > 4 && s[4] != ' ' && s[4] != '\t' {
		return "", ""
	}
	return "auth", strings.TrimSpace(s[4:])
}

// isAuthLine says whether line is an `auth` (which a drain refuses
// unjudged: nothing is granted once cfkd drains).
func isAuthLine(line string) bool {
	word, _ := authWords(line)
	return word == "auth"
}

// authExhausted closes the connection once the answer to its last failed
// auth is out (pump calls it first).
func (c *connection) authExhausted() bool {
	if !c.gate.closed || c.busy || c.closed {
		return false
	}
	c.closed = true
	c.queue, c.head = nil, 0
	c.io.abandon(false)
	return true
}

// allows checks st against the peer's level, logging a refusal. A token
// that a reload removed, or whose level it changed, is applied from the
// next request on.
func (c *connection) allows(st messages.Statement, line string) bool {
	c.refreshGate()
	g := c.gate
	need := rights.Required(st)
	if g.level.Allows(need) {
		return true
	}
	g.audit(c.peer).Warnf("not authorized: %s (needs %v)", requestText(st, line), need)
	return false
}

// refreshGate applies a reload of the token file to an authenticated
// peer: its token's level now, or no rights once its token is gone.
func (c *connection) refreshGate() {
	g := c.gate
	if g.authed {
		if cur := g.tokens.Load(); cur != g.seen {
			g.seen = cur
			if tok, ok := cur.Find(g.sum); ok {
				g.level, g.token = min(tok.Level, g.cap), tok.Name
			} else {
				g.level = rights.None
				g.audit(c.peer).Warn("token " + g.token + " is no longer in the token file: rights withdrawn")
				g.authed = false // as before an auth: only auth and exit
			}
		}
	}
}

// streamCheck is what a stream of this connection checks before each
// write (REFERENCE §5.3): once a reload removed its token, why it ends;
// nil when the rights do not come from a token. It reads the store only,
// never the gate (the stream's writer calls it, off the actor).
func (g *gate) streamCheck() func() string {
	if g == nil || !g.authed || g.tokens == nil {
		return nil
	}
	return g.tokens.WithdrawnCheck(g.sum, g.seen, g.token)
}

// audited logs a request that is run, when it is more than a read.
func (c *connection) audited(st messages.Statement, line string) {
	if rights.Required(st) > rights.Read {
		e := c.gate.audit(c.peer)
		if ev := c.streams.events; ev != nil {
			ev.Event(logrus.InfoLevel, e.Data, requestText(st, line)) // the entry's fields, never changed
			return
		}
		e.Info(requestText(st, line))
	}
}

// stopGate stops the timer of a failed auth (the actor is stopping).
func (c *connection) stopGate() {
	if c.gate.timer != nil {
		c.gate.timer.Stop()
	}
}

// maxAuditText bounds the request text an audit record quotes.
const maxAuditText = 512

// requestText is what the audit log says of a request: the line, cleaned,
// but an apply's data (its size instead) and add_env values, quoted when
// it could pass for more than a request (auditQuoted) (REFERENCE §5.5).
func requestText(st messages.Statement, line string) string {
	t := requestWords(st, line)
	if auditQuoted(t) {
		return strconv.Quote(t)
	}
	return t
}

// auditFields are the fields cfkd writes after the request in an audit
// record: a request that holds one of them as a word of its own could
// read as a record of another peer or right (`service x cmd=id
// peer="unix:uid=0,pid=1" right=admin`, sent by a read peer, refused,
// the real fields after the forged ones).
var auditFields = []string{"peer=", "right=", "token=", "category="}

// auditQuoted says whether request text t is written quoted in an audit
// record, as a Go string: when it has a word that begins as one of the
// record's own fields, a `"` or `\` (so that the quoting itself cannot
// be forged), or bytes that are not UTF-8 (written raw, a log reader
// would show them as it likes). Any other request is written as it is,
// as the records of REFERENCE §5.5 show.
func auditQuoted(t string) bool {
	if strings.ContainsAny(t, `"\`) || !utf8.ValidString(t) {
		return true
	}
	for _, w := range strings.Fields(t) {
		for _, f := range auditFields {
			if strings.HasPrefix(w, f) {
				return true
			}
		}
	}
	return false
}

// requestWords is requestText's text, unquoted.
func requestWords(st messages.Statement, line string) string {
	switch s := st.(type) {
	case messages.PendingApply: // refused before its DATA was decoded
		return s.Request() + fmt.Sprintf(" (%d bytes of DATA)", len(s.Data))
	case messages.Apply:
		return s.Request() + " (" + s.Counts() + ")"
	case messages.SetServiceAttr:
		if s.Attr == messages.SvcAddEnv && !s.Value.Unset {
			if s.Proxy != "" {
				return fmt.Sprintf("proxy %s service %s add_env=%s=...", s.Proxy, s.Service, s.Value.Key)
			}
			return fmt.Sprintf("service %s add_env=%s=...", s.Service, s.Value.Key)
		}
	case messages.SetProxyAttr:
		if s.Attr == messages.ProxyAddEnv && !s.Value.Unset {
			return fmt.Sprintf("proxy %s add_env=%s=...", s.Proxy, s.Value.Key)
		}
	}
	t := messages.Clean(line)
	if len(t) > maxAuditText {
		t = t[:maxAuditText] + "..."
	}
	return t
}

// String is the request as the audit says it (requestWords): protoactor
// logs a dead letter with its message (at debug level; the lines a
// reader read as its connection stopped reach it), and neither a token
// nor an add_env value, nor an apply's DATA that holds them, is ever
// logged (REFERENCE §5.5). An `auth` line is `auth ...`; a line that does
// not parse, its size alone (it may be a declaration of add_env all the
// same).
func (m lineReceived) String() string {
	if w, _ := authWords(m.line); w == "auth" {
		return "auth ..."
	}
	st, err := messages.ParseDeferred(m.line)
	if err != nil {
		return fmt.Sprintf("a request of %d bytes that does not parse", len(m.line))
	}
	return requestWords(st, m.line)
}

// GoString is String's, for %#v.
func (m lineReceived) GoString() string { return fmt.Sprintf("lineReceived{%q}", m.String()) }
