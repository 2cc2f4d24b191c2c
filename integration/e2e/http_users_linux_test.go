package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// TestRunAsHTTPGet is the client of TestHTTPReadsFromUsersSide, run as
// another user: it GETs each path of HTTPGET_PATHS from HTTPGET_URL with
// the token HTTPGET_TOKEN (none when empty), and writes "PATH CODE BODY".
func TestRunAsHTTPGet(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	cl := &http.Client{Timeout: 20 * time.Second}
	for _, p := range strings.Fields(os.Getenv("HTTPGET_PATHS")) {
		req, _ := http.NewRequest("GET", os.Getenv("HTTPGET_URL")+p, nil)
		if tok := os.Getenv("HTTPGET_TOKEN"); tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := cl.Do(req)
		if err != nil {
			testkit.RunAsOutput(p + " " + err.Error())
			continue
		}
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		testkit.RunAsOutput(fmt.Sprintf("%s %d %s", p, res.StatusCode, strings.TrimSpace(string(b))))
	}
}

// The HTTP listener on loopback from the users' side: another local user
// (nobody) is refused every GET, told how to get in, and reads with a
// read token of --http-token (a Prometheus scraper); cfkd's user reads
// without one (REFERENCE §10.1).
func TestHTTPReadsFromUsersSide(t *testing.T) {
	testkit.RequireRoot(t)
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	const readTok = "e2e-read-token-0123456789"
	os.WriteFile(tokens, []byte("read "+readTok+" prometheus\noperate e2e-operate-token-0123 deploy\n"), 0o600)
	d := startDaemon(t, "", "--http", "127.0.0.1:0", "--http-token", tokens)
	url := d.httpURL()
	c := d.dial()
	c.ok("service web cmd=sleep 100 --the-secret-argument")

	paths := "metrics api/services api/services/web api/events"
	out := testkit.RunAs(t, nobodyUID, nobodyUID, "TestRunAsHTTPGet", "HTTPGET_URL="+url, "HTTPGET_PATHS="+paths)
	lines := strings.Split(out, "\n")
	if len(lines) != 4 {
		t.Fatalf("nobody's GETs:\n%s", out)
	}
	for _, l := range lines {
		if !strings.Contains(l, " 401 ") || !strings.Contains(l, "uid 65534 may not read without a token: only root may") ||
			!strings.Contains(l, "Authorization: Bearer TOKEN") || strings.Contains(l, "the-secret-argument") {
			t.Errorf("nobody without a token: %s", l)
		}
	}
	out = testkit.RunAs(t, nobodyUID, nobodyUID, "TestRunAsHTTPGet", "HTTPGET_URL="+url, "HTTPGET_PATHS=metrics api/services/web",
		"HTTPGET_TOKEN="+readTok)
	if !strings.Contains(out, "metrics 200 ") || !strings.Contains(out, "cfk_service_up") ||
		!strings.Contains(out, "api/services/web 200 ") || !strings.Contains(out, "the-secret-argument") {
		t.Errorf("nobody with a read token:\n%s", out)
	}
	// cfkd's user (root here) without a token
	if v := metric(scrape(t, url), "cfk_service_up", "service=web", "tags="); v != 0 {
		t.Errorf("root's scrape: web up %v", v)
	}
}
