package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/web"
	"github.com/sirupsen/logrus"
)

// An unknown service was `Couldn't find a valid service. bailing.` (the
// console's compat text) on GET /api/services/NAME and the actions, and
// `Service 'NAME' is not declared` on the log routes; every route of the
// API says the latter now, 404, a name of odd bytes escaped and cut
// (REFERENCE §10.1); the console keeps its text.
func TestHTTPUnknownServiceSameOnEveryRoute(t *testing.T) {
	tree := noLaunchTree(t, "service a cmd=sleep 100")
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	src := web.NewTreeSource(tree.System, tree.Controller)
	defer src.Close()
	const token = "s3cret-s3cret-s3cret"
	srv := web.New(web.Options{Source: src, Logs: tailLogs{tail: tree.Tail()}, Token: token, OpenRead: true, Log: quiet})
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	defer hs.CloseClientConnections()

	long := strings.Repeat("x", 300)
	for name, shown := range map[string]string{
		"zz": "zz", "zz%00": `zz\x00`, "a%2Fb": "a/b", "%C3%A9": `é`, "%FF": `\xff`, long: strings.Repeat("x", 128) + "...",
	} {
		want := "Service '" + shown + "' is not declared"
		for _, rt := range []struct{ method, path string }{
			{"GET", ""}, {"GET", "/log"}, {"GET", "/log?n=5"}, {"GET", "/log/follow"},
			{"POST", "/start"}, {"POST", "/stop"}, {"POST", "/restart"},
		} {
			req, err := http.NewRequest(rt.method, hs.URL+"/api/services/"+name+rt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			if res.StatusCode != http.StatusNotFound || json.Unmarshal(b, &e) != nil || e.OK || e.Error != want {
				t.Errorf("%s /api/services/%.20s%s: %d %q, want 404 %q", rt.method, name, rt.path, res.StatusCode, b, want)
			}
		}
	}
	// the console's texts (compat) are untouched
	for _, l := range []string{"command start service zz", "command tail zz"} {
		if rep := tree.Exec(l, 10*time.Second); rep.Err == nil || rep.Err.Error() != messages.ErrNoService.Error() {
			t.Errorf("%s: %v, want %q", l, rep.Err, messages.ErrNoService)
		}
	}
}
