package daemon

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/internal/peeruid"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
	"github.com/cfk/cfk/web"
	"github.com/sirupsen/logrus"
)

// httpConf is what --http, --http-remote and --http-token say, checked
// before cfkd takes its lock (REFERENCE §10).
type httpConf struct {
	addr      Address
	tokens    *rights.Store // --http-token's (httpTokens), re-read on SIGUSR1; nil: read-only
	guardHost bool          // answer only a loopback Host (web.Options.LoopbackOnly)
	// readers is the UNIX console's rule (root, cfkd's user, the members
	// of --admin-group): the loopback peers that read without a token
	// (httpReader); open: --insecure-http, anyone reads
	readers *actors.ConsolePolicy
	open    bool
}

// parseHTTPAddress reads --http ADDR: HOST:PORT or [IPv6]:PORT; `:PORT`
// means localhost, as for the console (REFERENCE §7.1). Port 0 gets one
// from the kernel.
func parseHTTPAddress(s string) (Address, error) {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(s, "tcp:"))
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return Address{}, fmt.Errorf("invalid --http address '%s': want HOST:PORT", s)
	}
	if host == "" {
		host = "localhost"
	}
	return Address{Network: "tcp", Addr: net.JoinHostPort(host, port)}, nil
}

// checkHTTP validates the HTTP flags: a non-loopback address needs
// --http-remote; the token file must hold a token. sec is the console's:
// its --admin-group's members read on loopback.
func checkHTTP(f Flags, sec *security) (*httpConf, error) {
	if f.HTTP == "" {
		return nil, nil
	}
	a, err := parseHTTPAddress(f.HTTP)
	if err != nil {
		return nil, fmt.Errorf("cfkd: %w", err)
	}
	if !a.Loopback() && !f.HTTPRemote {
		return nil, fmt.Errorf("cfkd: --http %s is not a loopback address: the status page and /metrics would be "+
			"reachable from the network, its tokens sent in clear (no TLS); give --http-remote to allow it", f.HTTP)
	}
	// the DNS rebinding guard: on loopback, unless --http-remote (a
	// reverse proxy that passes the public Host, REFERENCE §10.1)
	c := &httpConf{addr: a, guardHost: a.Loopback() && !f.HTTPRemote, open: f.InsecureHTTP,
		readers: &actors.ConsolePolicy{AdminUIDs: adminUIDs()}}
	if sec != nil && sec.group != nil {
		c.readers.Groups = []actors.GroupRight{*sec.group}
	}
	if f.HTTPToken != "" {
		if c.tokens, err = rights.OpenStoreFunc(f.HTTPToken, checkedTokens("--http-token", httpTokenChooses, httpTokens)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// store is c's tokens, nil without --http or --http-token.
func (c *httpConf) store() *rights.Store {
	if c == nil {
		return nil
	}
	return c.tokens
}

// httpTokens reads --http-token's file: lines `LEVEL TOKEN [NAME]`, as
// the admin console's (REFERENCE §5.3), with the same levels; else one
// bare token (operate).
func httpTokens(path string) (*rights.Tokens, error) {
	// private, as a token file: a bare token others can read is no secret
	b, err := rights.ReadPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("cfkd: --http-token: %w", err)
	}
	toks, err := rights.ParseTokenFile(path)
	if err == nil {
		return toks, nil
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return nil, fmt.Errorf("cfkd: --http-token %s: want one token, or lines 'LEVEL TOKEN [NAME]' (mode 0600): %v", path, err)
	}
	if len(tok) < rights.MinTokenLength { // as a token file's: anyone who reaches the listener may try tokens
		return nil, fmt.Errorf("cfkd: --http-token %s: the token is %d characters, want at least %d (openssl rand -hex 16)",
			path, len(tok), rights.MinTokenLength)
	}
	return rights.Bare(tok), nil
}

// httpServer is cfkd's running HTTP server.
type httpServer struct {
	ln  net.Listener
	src *web.TreeSource
	srv *web.Server
	url string
}

// listenHTTP binds the HTTP address (a busy one fails at once, before
// the config is loaded).
func listenHTTP(c *httpConf) (*httpServer, error) {
	ln, err := net.Listen("tcp", c.addr.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s for --http: %w", c.addr, err)
	}
	return &httpServer{ln: ln, url: "http://" + c.addr.bound(ln).Addr + "/"}, nil
}

// serve starts answering on the bound listener; /metrics reads the log
// destinations' losses from router (REFERENCE §10.2).
func (h *httpServer) serve(c *httpConf, tree *actors.Tree, router *logconf.Router, f Flags, log *logrus.Logger, trim *trimmer) {
	h.src = web.NewTreeSource(tree.System, tree.Controller)
	h.srv = web.New(web.Options{
		Source: h.src,
		Events: web.EventStreamEvents{Stream: tree.System.EventStream},
		Logs:   tailLogs{tail: tree.Tail()},
		Tokens: c.tokens,
		// who reads without a token (REFERENCE §10.1)
		Reader:   httpReader(c.readers, peeruid.OfAddrs),
		OpenRead: c.open,
		// on loopback, a page elsewhere must not reach it by DNS rebinding
		LoopbackOnly: c.guardHost,
		Log:          log,
		Version:      "cfk " + messages.Version,
		// a scrape of thousands of services leaves megabytes of garbage:
		// returned to the OS a little after the last one (trim.go)
		AfterBigRead: trim.touch,
		LogLosses:    router.Losses,
	})
	go func() {
		if err := h.srv.Serve(h.ln); err != nil {
			log.WithError(err).Error("http: the server stopped")
		}
	}()
	actions := "read-only (no --http-token)"
	if c.tokens != nil {
		actions = "start/stop/restart with an operate or admin token of " + f.HTTPToken
	}
	reads := readersText(c.readers) + " on loopback, or a token"
	if c.tokens == nil {
		reads = readersText(c.readers) + " on loopback"
	}
	if c.open {
		reads = "anyone who reaches it (--insecure-http)"
	}
	log.Infof("http: status page and /metrics on %s; actions: %s; reads: %s", h.url, actions, reads)
	if c.open {
		log.Warnf("http: --insecure-http: anyone who reaches %s reads the status, the commands, the services' last lines and the metrics", c.addr)
	}
}

// close stops the server (its streams end) and its askers.
func (h *httpServer) close() {
	if h == nil {
		return
	}
	if h.srv != nil {
		h.srv.Close()
		h.src.Close()
		return
	}
	h.ln.Close()
}
