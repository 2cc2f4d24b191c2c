package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/web"
)

// TestRunAsHTTPPlaceHolder is the local user of TestHTTPPlacesPerUser,
// run as nobody: it opens web.DefaultConns connections to HTTPPLACES_ADDR,
// each with a request whose head has not ended; the first half are held,
// each of the others must be answered 503 at once. It says "held" and
// keeps them until its stdin closes.
func TestRunAsHTTPPlaceHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	held, err := testkit.HoldHTTPPlaces(os.Getenv("HTTPPLACES_ADDR"), "/metrics", web.DefaultConns, web.DefaultConns/2, 65534)
	if err != nil {
		testkit.RunAsOutput(err.Error())
		return
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	testkit.RunAsOutput("held")
	io.Copy(io.Discard, os.Stdin)
}

// cfkd's HTTP listener with one local user (nobody) holding every place
// it may, requests whose heads are still coming: half of the 512, the
// others refused 503 at once; root's scrape is served meanwhile
// (REFERENCE §10.1).
func TestHTTPPlacesPerUser(t *testing.T) {
	testkit.RequireRoot(t)
	d := startDaemon(t, "", "--http", "127.0.0.1:0")
	url := d.httpURL()
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	child := testkit.StartAs(t, nobodyUID, nobodyUID, "TestRunAsHTTPPlaceHolder", "HTTPPLACES_ADDR="+addr)
	child.Expect(t, "held", deadline)
	// within 5 s: nobody's heads are cut at 10 s, which would make room
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get(url + "metrics")
	if err != nil {
		t.Fatalf("root's scrape with nobody's places held: %v", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("root's scrape with nobody's places held: %s", res.Status)
	}
	child.Stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("nobody's client: %v\n%s", err, child.Stderr())
	}
	waitLog(t, d.home, fmt.Sprintf("http: connection refused: too many connections from uid 65534 (%d open, the most one peer may hold)", web.DefaultConns/2))
}
