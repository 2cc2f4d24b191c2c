package web

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// The page's shell (/ and its files) is loaded by anyone, so that a user
// the uid rule refuses can give the page a token; it holds no data: no
// service's name, no command, not cfkd's version. Every read of the API,
// the streams included, is still refused without an identity, and read
// with a read token; a wrong token does not keep the shell from loading
// (REFERENCE §10.1).
func TestPageShellIsAnyones(t *testing.T) {
	t.Parallel()
	toks, err := rights.ParseTokens("tokens", strings.NewReader("read read-token-0123456789abcdef monitoring\noperate operate-token-0123456789ab deploy\n"))
	if err != nil {
		t.Fatal(err)
	}
	rule := &readerRule{}
	r := newRig(t, Options{Tokens: rights.StoreOf(toks), Reader: rule.read, Logs: quietLogs{},
		AuthDelay: time.Millisecond, Version: "cfk 9.8.7-shell"})
	r.ok("service zz-private-svc cmd=sleep 100 --secret-flag", "service zz-private-svc tags=zz-private-tag")
	for _, tok := range []string{"", "wrong-token-0123456789abcdef"} {
		for _, p := range []string{"/", "/static/app.js", "/static/style.css", "/static/index.html", "/static/favicon.svg"} {
			body := r.expect("GET", p, tok, http.StatusOK)
			for _, leak := range []string{"zz-private", "secret-flag", "9.8.7-shell", "read-token"} {
				if strings.Contains(body, leak) {
					t.Errorf("GET %s (token %q) holds %q", p, tok, leak)
				}
			}
		}
		if res, _ := r.do("HEAD", "/", tok); res.StatusCode != http.StatusOK {
			t.Errorf("HEAD / (token %q): %d", tok, res.StatusCode)
		}
	}
	if body := r.expect("GET", "/", "", http.StatusOK); !strings.Contains(body, "/static/app.js") {
		t.Errorf("GET /: %.200s", body)
	}
	// the API is not the shell
	for _, p := range []string{"/api/config", "/api/services", "/api/services/zz-private-svc",
		"/api/services/zz-private-svc/log", "/metrics", "/nope", "/index.html"} {
		res, body := r.do("GET", p, "")
		if res.StatusCode != http.StatusUnauthorized || strings.Contains(body, "zz-private") {
			t.Errorf("GET %s without an identity: %d %s", p, res.StatusCode, body)
		}
	}
	for _, p := range []string{"/api/events", "/api/services/zz-private-svc/log/follow"} {
		if code := r.tryStreamWith(p, ""); code != http.StatusUnauthorized {
			t.Errorf("stream %s without an identity: %d", p, code)
		}
		if code := r.tryStreamWith(p, "read-token-0123456789abcdef"); code != http.StatusOK {
			t.Errorf("stream %s with a read token: %d", p, code)
		}
	}
	// the page learns from its config whether its token acts: a read
	// token's page does not ask /api/auth (audited) at each load
	if body := r.expect("GET", "/api/config", "read-token-0123456789abcdef", http.StatusOK); !strings.Contains(body, "9.8.7-shell") ||
		!strings.Contains(body, `"acts":false`) {
		t.Errorf("config with a read token: %s", body)
	}
	if body := r.expect("GET", "/api/config", "operate-token-0123456789ab", http.StatusOK); !strings.Contains(body, `"acts":true`) {
		t.Errorf("config with an operate token: %s", body)
	}
	// the uid rule still wants a loopback Host (DNS rebinding): a page
	// elsewhere gets the shell, never the data of a user the rule lets in
	rule.allow(true)
	for p, code := range map[string]int{"/": http.StatusOK, "/api/config": http.StatusUnauthorized,
		"/api/events": http.StatusUnauthorized, "/api/services": http.StatusUnauthorized} {
		req, _ := http.NewRequest("GET", r.http.URL+p, nil)
		req.Host = "evil.example"
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != code {
			t.Errorf("GET %s, Host: evil.example, by a user the rule lets in: %d, want %d", p, res.StatusCode, code)
		}
	}
	if code := r.tryStreamWith("/api/events", ""); code != http.StatusOK {
		t.Errorf("stream /api/events by a user the rule lets in: %d", code)
	}
}

// tryStreamWith opens a stream with a token (none: ""), and closes it
// once its status is known.
func (r *rig) tryStreamWith(path, token string) int {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", r.http.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := r.http.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Every file the shell links is served to anyone, and the shell names
// its icon: without one a browser asks for /favicon.ico, a 404 that
// Chromium logs as an error on the console at every load of the page.
func TestPageShellLinksOnlyWhatItServes(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Reader: (&readerRule{}).read, Logs: quietLogs{}, AuthDelay: time.Millisecond})
	shell := r.expect("GET", "/", "", http.StatusOK)
	links := regexp.MustCompile(`(?:href|src)="([^"]*)"`).FindAllStringSubmatch(shell, -1)
	if len(links) == 0 {
		t.Fatalf("GET /: no link in %.300s", shell)
	}
	for _, l := range links {
		if !strings.HasPrefix(l[1], "/static/") {
			t.Errorf("the shell links %q, not a file of /static/", l[1])
			continue
		}
		r.expect("GET", l[1], "", http.StatusOK)
	}
	if !regexp.MustCompile(`<link rel="icon" href="/static/[^"]+"`).MatchString(shell) {
		t.Errorf("the shell names no icon of its own (a browser then asks for /favicon.ico, a 404):\n%.400s", shell)
	}
}
