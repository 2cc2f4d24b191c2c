package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/web"
)

// TestRunAsHTTPStreamHolder is the local user of TestHTTPStreamsPerUser,
// run as nobody: it holds its share of the streams of cfkd's HTTP
// listener at HTTPSTREAMS_ADDR with the read token HTTPSTREAMS_TOKEN
// (testkit).
func TestRunAsHTTPStreamHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	testkit.HoldHTTPStreams(os.Getenv("HTTPSTREAMS_ADDR"), "/api/events", os.Getenv("HTTPSTREAMS_TOKEN"),
		web.DefaultStreams/2, nobodyUID)
}

// cfkd's HTTP listener on its defaults with one local user (nobody, a
// read token) holding every stream it may: half of the 256, its one more
// refused 503 as its share; root's page still opens its stream and gets
// the changes; and the streams nobody closes come back to it (REFERENCE
// §10.1).
func TestHTTPStreamsPerUser(t *testing.T) {
	testkit.RequireRoot(t)
	tokens := filepath.Join(t.TempDir(), "tokens")
	const readTok = "e2e-read-token-0123456789"
	os.WriteFile(tokens, []byte("read "+readTok+" reader\n"), 0o600)
	d := startDaemon(t, "", "--http", "127.0.0.1:0", "--http-token", tokens)
	addr := strings.TrimSuffix(strings.TrimPrefix(d.httpURL(), "http://"), "/")
	d.dial().ok("service web cmd=sleep 100")
	child := testkit.StartAs(t, nobodyUID, nobodyUID, "TestRunAsHTTPStreamHolder", "HTTPSTREAMS_ADDR="+addr, "HTTPSTREAMS_TOKEN="+readTok)
	child.Expect(t, "held", 2*deadline)
	c, err := testkit.OpenHTTPStream(addr, "/api/events", "")
	if err != nil {
		t.Fatalf("root's stream with nobody's %d held: %v", web.DefaultStreams/2, err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(deadline))
	d.dial().ok("command start service web")
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("root's stream: no transition of web: %v", err)
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"service":"web"`) {
			break
		}
	}
	child.Stdin.Write([]byte("reopen 16\n"))
	child.Expect(t, "reopened", 2*deadline)
	child.Stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("nobody's client: %v\n%s", err, child.Stderr())
	}
}
