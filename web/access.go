package web

// Who may do what over HTTP (REFERENCE §10.1, §5): the read rule of
// every GET, the token rule of every POST, the delay after a wrong
// token, and the audit of each request that acts or is refused.

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
)

// authorize applies the token rule of the POST endpoints (REFERENCE
// §10.1): no token configured, or none in the request: 403; a wrong one:
// 401. It writes the refusal, audits it (what: the request refused), and
// returns false; else the audit entry of the request's token.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, what string) (*logrus.Entry, bool) {
	if s.o.Token == "" && s.o.Tokens == nil {
		writeError(w, http.StatusForbidden, "read-only: cfkd was started without --http-token")
		s.refused(r, "not authorized: %s (read-only: no --http-token)", what)
		return nil, false
	}
	t, given := s.token(r)
	switch {
	case !given:
		writeError(w, http.StatusForbidden, "read-only without a token: send Authorization: Bearer TOKEN")
		s.refused(r, "not authorized: %s (no token)", what)
		return nil, false
	case t == nil || t.Level == rights.None:
		s.refused(r, "not authorized: %s (a bad token)", what)
		s.authDelay(r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="cfkd"`)
		writeError(w, http.StatusUnauthorized, "wrong token")
		return nil, false
	case !t.Level.Allows(rights.Operate):
		writeError(w, http.StatusForbidden, "not authorized: this token is "+t.Level.String())
		s.audit(r, t).Warnf("not authorized: %s (needs operate)", what)
		return nil, false
	}
	return s.audit(r, t), true
}

// mayRead applies the rule of the GETs (REFERENCE §10.1): the page's
// shell is anyone's (pageShell), and so is /api/auth; a request with a
// token of the file (any level) reads, one with a wrong token is 401 after
// the auth delay; one without reads when the Reader says its peer may (a
// loopback user the UNIX console lets in), or with OpenRead. Else it is
// 401, saying how to get in (403 when cfkd has no token file: no token
// helps then). It writes the refusal, audits it, and returns false.
func (s *Server) mayRead(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if s.o.OpenRead || pageShell(p) || p == "/api/auth" {
		return true
	}
	what := auditedRequest(r)
	t, given := s.token(r)
	if given {
		if t != nil && t.Level.Allows(rights.Read) {
			return true
		}
		s.refused(r, "not authorized: %s (a bad token)", what)
		s.authDelay(r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="cfkd"`)
		writeError(w, http.StatusUnauthorized, "wrong token")
		return false
	}
	why := "a request reads only with a token"
	switch {
	case s.o.Reader == nil:
	case !loopbackHost(r.Host):
		// a page elsewhere, rebound by DNS to a loopback address, would
		// read through the browser of a user the Reader lets in (with
		// --http-remote, where any Host is answered: LoopbackOnly is off)
		why = "a request whose Host is not localhost or a loopback address reads only with a token"
	default:
		err := s.o.Reader(localAddr(r), remoteAddr(r))
		if err == nil {
			return true
		}
		why = err.Error()
	}
	s.refused(r, "not authorized: %s (%s)", what, why)
	if s.o.Tokens == nil {
		writeError(w, http.StatusForbidden, "not authorized: "+why+"; and cfkd was started without --http-token, so no token reads either")
		return false
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="cfkd"`)
	writeError(w, http.StatusUnauthorized, "not authorized: "+why+"; or send Authorization: Bearer TOKEN with a token of --http-token (read, operate or admin)")
	return false
}

// pageShell reports whether path is the page's shell: / and its files
// under /static/, the same bytes for everyone (embedded at build, no
// service, version or token in them). Anyone may load it; the page then
// asks for a token when its reads are refused (REFERENCE §10.1).
func pageShell(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/static/")
}

// localAddr is the server's end of r's connection (invalid when unknown).
func localAddr(r *http.Request) netip.AddrPort {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// remoteAddr is the client's end of r's connection (invalid when unknown).
func remoteAddr(r *http.Request) netip.AddrPort {
	a, _ := netip.ParseAddrPort(r.RemoteAddr)
	return a
}

// authDelay holds the answer to a wrong token for Options.AuthDelay, or
// until the client leaves or the server closes (REFERENCE §10.1).
func (s *Server) authDelay(r *http.Request) {
	t := time.NewTimer(s.o.AuthDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.quit:
	}
}

// token is the token of the file that r carries (Authorization: Bearer
// TOKEN), or nil; given says whether r carries one at all.
func (s *Server) token(r *http.Request) (t *rights.Token, given bool) {
	tok, ok := bearer(r)
	if !ok {
		return nil, false
	}
	if s.o.Tokens != nil {
		if found, ok := s.o.Tokens.Lookup(tok); ok {
			return &found, true
		}
	}
	return nil, true
}

// bearer is the secret of r's Authorization: Bearer header, if any.
func bearer(r *http.Request) (secret string, given bool) {
	// the scheme's case does not count (RFC 9110 §11.1: `bearer` is Bearer)
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// refuseUnknown audits a request that names no action (REFERENCE §5.5):
// under the token it carries when that is one of the file's, else as the
// refusals with no known token are, one a second.
func (s *Server) refuseUnknown(r *http.Request, what string) {
	if t, _ := s.token(r); t != nil && t.Level != rights.None {
		s.audit(r, t).Warn("not authorized: " + what)
		return
	}
	s.refused(r, "not authorized: %s", what)
}

// audit is the audit entry of an HTTP request (REFERENCE §5.5): its peer,
// and the token it showed when it is one of the file's.
func (s *Server) audit(r *http.Request, t *rights.Token) *logrus.Entry {
	f := logrus.Fields{"category": actors.AuditCategory, "peer": "http:" + r.RemoteAddr, "right": rights.None.String()}
	if t != nil {
		f["right"], f["token"] = t.Level.String(), t.Name
	}
	return s.o.Log.WithFields(f)
}

// auth tells the page whether its token is right: 204, or the refusal of
// authorize.
func (s *Server) auth(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, "auth"); ok {
		w.WriteHeader(http.StatusNoContent)
	}
}
