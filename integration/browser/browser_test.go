//go:build browser

package browser

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/protocol"
	"github.com/chromedp/chromedp"
)

// deadline bounds every wait.
const deadline = 20 * time.Second

var cfkdBin string

// shots is where the screenshots go: kept after the run, printed.
var shots string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cfk-browser-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfkdBin = filepath.Join(dir, "cfkd")
	if out, err := exec.Command("go", "build", "-o", cfkdBin, "../../cmd/cfkd").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build cfkd: %v\n%s", err, out)
		os.Exit(2)
	}
	if shots, err = os.MkdirTemp("", "cfk-browser-shots-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// chromium finds the browser, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CFK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium installed (apt-get install chromium, or set CFK_CHROMIUM)")
	return ""
}

func random() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// daemon is a cfkd under test.
type daemon struct {
	t      *testing.T
	home   string
	url    string // of the status page, from its log
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
}

// startCfkd runs cfkd in the foreground with --http 127.0.0.1:0 on the
// config lines given, and reads the page's URL in its log.
// sleepServices declares n services s0000, s0001, ... that run sleep.
func sleepServices(n int) []string {
	conf := make([]string, 0, n)
	for i := range n {
		conf = append(conf, fmt.Sprintf("service s%04d cmd=sleep 1000", i))
	}
	return conf
}

func startCfkd(t *testing.T, token string, config ...string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{t: t, home: filepath.Join(dir, "home"), exited: make(chan struct{})}
	conf := filepath.Join(dir, "cfk.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(config, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--home", d.home, "-c", conf, "--http", "127.0.0.1:0"}
	if token != "" {
		tf := filepath.Join(dir, "token")
		if err := os.WriteFile(tf, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--http-token", tf)
	}
	d.cmd = exec.Command(cfkdBin, args...)
	d.cmd.Env = append(os.Environ(), "CFKD_HOME="+d.home)
	d.cmd.Stderr = &d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(d.stop)

	re := regexp.MustCompile(`status page and /metrics on (http://\S+/);`)
	end := time.Now().Add(deadline)
	for {
		log, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		if m := re.FindSubmatch(log); m != nil {
			d.url = string(m[1])
			return d
		}
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited at start:\n%s\n%s", d.stderr.String(), log)
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("no URL in cfkd's log after %v:\n%s", deadline, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends cfkd (SIGTERM, SIGKILL after the deadline) and kills whatever
// of its services is left.
func (d *daemon) stop() {
	select {
	case <-d.exited:
	default:
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(deadline):
			d.t.Errorf("cfkd ignored SIGTERM: killing it")
			d.cmd.Process.Kill()
			<-d.exited
		}
	}
	if left := testkit.KillProcsWithEnv("CFKD_HOME="+d.home, time.Second); len(left) > 0 {
		d.t.Errorf("processes left behind by cfkd: %v", left)
	}
}

// post sends a POST as a client without the page would.
func (d *daemon) post(path, token string) int {
	d.t.Helper()
	req, _ := http.NewRequest("POST", strings.TrimSuffix(d.url, "/")+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: deadline}).Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// admin runs one line on cfkd's admin socket; it must succeed.
func (d *daemon) admin(line string) []string {
	d.t.Helper()
	c, err := net.DialTimeout("unix", filepath.Join(d.home, "sock"), deadline)
	if err != nil {
		d.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(deadline))
	if err := protocol.WriteRequest(c, line); err != nil {
		d.t.Fatal(err)
	}
	r, err := protocol.ReadReply(bufio.NewReader(c))
	if err == nil {
		err = r.Err
	}
	if err != nil {
		d.t.Fatalf("%s: %v", line, err)
	}
	return r.Lines
}

// pidOf asks cfkd's API for a service's pid.
func (d *daemon) pidOf(name string) int {
	d.t.Helper()
	res, err := (&http.Client{Timeout: deadline}).Get(d.url + "api/services/" + name)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	var i struct{ Pid int }
	if err := json.NewDecoder(res.Body).Decode(&i); err != nil {
		d.t.Fatal(err)
	}
	return i.Pid
}

// services asks cfkd's API for every service's record.
func (d *daemon) services() []struct {
	Name, State string
	Pid         int
} {
	d.t.Helper()
	res, err := (&http.Client{Timeout: deadline}).Get(d.url + "api/services")
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	var list []struct {
		Name, State string
		Pid         int
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
		d.t.Fatal(err)
	}
	return list
}

// browser starts a headless Chromium for the test, with the options
// given after the defaults; it is killed, with every process of it, when
// the test ends.
func browser(t *testing.T, more ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := chromium(t)
	marker := "CFK_BROWSER_TEST=" + random()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 720), chromedp.Env(marker))
	opts = append(opts, more...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		if left := testkit.KillProcsWithEnv(marker, 3*time.Second); len(left) > 0 {
			t.Errorf("browser processes left behind: %v", left)
		}
	})
	// the first run starts the browser: no timeout on it (it would stop
	// the browser), a watchdog instead
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("chromium %s: %v", path, err)
		}
	case <-time.After(deadline):
		cancel()
		t.Fatalf("chromium %s did not start in %v", path, deadline)
	}
	return ctx
}

// do runs actions with the deadline.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (a promise is awaited).
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is true in the page.
func waitJS(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, deadline+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingTimeout(deadline), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('rows').innerText + '\n[auth: ' + document.getElementById('auth-msg').textContent + '; token field: ' + document.getElementById('token').value.length + ' chars]'`))
		t.Fatalf("waiting for %s: %v\nthe page:\n%s", what, err, state)
	}
}

// screenshot saves the page as a PNG under the shots directory and
// prints its path.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("screenshot: %s\n", path)
	return path
}

// three are the services of the tests: b takes a second to count as
// running, so that a restart of it shows on the page.
var three = []string{
	"service a cmd=sleep 1000", "service a tags=web,prod", "service a startwait_secs=0.3",
	"service b cmd=sleep 1000", "service b tags=web", "service b startwait_secs=1",
	"service c cmd=sleep 1000", "service c tags=db", "service c startwait_secs=0.3",
	"command start all",
}

// the JavaScript that reads the page
const (
	jsRows       = `[...document.querySelectorAll('tr.svc')].map(r => r.dataset.name)`
	jsAllRunning = `document.querySelectorAll('tr.svc').length === 3 && ` +
		`[...document.querySelectorAll('tr.svc td.state')].every(td => td.dataset.state === 'running')`
	jsButtons = `document.querySelectorAll('button[data-action]').length`
)

func jsPid(name string) string {
	return `+document.querySelector('tr[data-name="` + name + `"] td.pid')?.textContent`
}

// Without --http-token: three services on the page; a service's process
// killed shows on its row, and in the recent changes, without a reload;
// no buttons, and a POST is 403 from the page as from any client.
func TestPageReadOnly(t *testing.T) {
	ctx := browser(t)
	d := startCfkd(t, "", three...)
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	waitJS(t, ctx, "3 services running", jsAllRunning)
	if rows := eval[[]string](t, ctx, jsRows); !slices.Equal(rows, []string{"a", "b", "c"}) {
		t.Errorf("rows %q", rows)
	}
	if n := eval[int](t, ctx, jsButtons); n != 0 {
		t.Errorf("%d buttons on a read-only page", n)
	}
	if !eval[bool](t, ctx, `document.getElementById('auth').hidden`) {
		t.Error("the token field shows on a cfkd without --http-token")
	}
	if code := eval[int](t, ctx, `fetch('/api/services/b/restart', {method: 'POST'}).then(r => r.status)`); code != 403 {
		t.Errorf("POST from the page: %d, want 403", code)
	}
	if code := d.post("/api/services/b/restart", "anything"); code != 403 {
		t.Errorf("POST with a token to a cfkd without one: %d, want 403", code)
	}

	// the process of b dies: the row changes, the page is not reloaded
	pid := eval[int](t, ctx, jsPid("b"))
	if pid == 0 || pid != d.pidOf("b") {
		t.Fatalf("b's pid on the page %d, cfkd says %d", pid, d.pidOf("b"))
	}
	eval[bool](t, ctx, `window.noReload = true; window.seen = [];
		new MutationObserver(() => {
			const s = document.querySelector('tr[data-name="b"] td.state')?.dataset.state;
			if (seen[seen.length - 1] !== s) seen.push(s);
		}).observe(document.getElementById('rows'), {subtree: true, childList: true, attributes: true});
		true`)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "b restarted on its row", `window.noReload === true && `+jsPid("b")+` !== `+strconv.Itoa(pid)+
		` && document.querySelector('tr[data-name="b"] td.state')?.dataset.state === 'running'`+
		` && document.querySelector('tr[data-name="b"] td.restarts')?.textContent === '1'`)
	seen := eval[[]string](t, ctx, `window.seen`)
	if !slices.Contains(seen, "starting") {
		t.Errorf("b's row showed %q: never starting", seen)
	}
	recent := eval[string](t, ctx, `document.getElementById('recent').innerText`)
	if !strings.Contains(recent, "b running → fail (Received signal 9)") {
		t.Errorf("recent changes:\n%s", recent)
	}
	if n := eval[int](t, ctx, jsButtons); n != 0 {
		t.Errorf("%d buttons on a read-only page", n)
	}
	screenshot(t, ctx, "read-only")
}

// With --http-token: no buttons until the page has the token (a wrong one
// is refused); then restart is pressed and the pid changes. The token is
// kept across a reload. A client without the token gets 403, with a wrong
// one 401.
func TestPageActionsWithToken(t *testing.T) {
	token := "tok-" + random()
	ctx := browser(t)
	d := startCfkd(t, token, three...)
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	waitJS(t, ctx, "3 services running", jsAllRunning)
	if n := eval[int](t, ctx, jsButtons); n != 0 {
		t.Errorf("%d buttons before the token is given", n)
	}
	if code := d.post("/api/services/a/restart", ""); code != 403 {
		t.Errorf("POST without a token: %d, want 403", code)
	}
	if code := d.post("/api/services/a/restart", "wrong"); code != 401 {
		t.Errorf("POST with a wrong token: %d, want 401", code)
	}

	do(t, ctx, "give a wrong token", chromedp.SendKeys(chromedp.ID("token"), "wrong"), chromedp.Click(chromedp.ID("token-save")))
	waitJS(t, ctx, "the wrong token refused", `document.getElementById('auth-msg').textContent === 'wrong token'`)
	if n := eval[int](t, ctx, jsButtons); n != 0 {
		t.Errorf("%d buttons with a wrong token", n)
	}
	do(t, ctx, "give the token", chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("token-save")))
	waitJS(t, ctx, "the buttons", jsButtons+` === 9`)

	pid := eval[int](t, ctx, jsPid("a"))
	do(t, ctx, "press restart", chromedp.Click(chromedp.CSS(`tr[data-name="a"] button[data-action="restart"]`)))
	waitJS(t, ctx, "a restarted with a new pid", jsPid("a")+` !== `+strconv.Itoa(pid)+` && `+jsPid("a")+` > 0`+
		` && document.querySelector('tr[data-name="a"] td.state')?.dataset.state === 'running'`)
	if got := d.pidOf("a"); got == pid || got != eval[int](t, ctx, jsPid("a")) {
		t.Errorf("a's pid: %d before, %d after, the page shows %d", pid, got, eval[int](t, ctx, jsPid("a")))
	}
	screenshot(t, ctx, "with-token")

	// kept in the tab's sessionStorage: the buttons are back after a reload
	do(t, ctx, "reload", chromedp.Reload())
	waitJS(t, ctx, "the buttons after a reload", jsAllRunning+` && `+jsButtons+` === 9`)
}

// TestScreenshotForDocs makes the screenshot of the README when
// CFK_DOCS_SCREENSHOT names where to write it (make screenshot).
func TestScreenshotForDocs(t *testing.T) {
	out := os.Getenv("CFK_DOCS_SCREENSHOT")
	if out == "" {
		t.Skip("CFK_DOCS_SCREENSHOT not set")
	}
	token := "tok-" + random()
	ctx := browser(t)
	d := startCfkd(t, token,
		"service web1 cmd=echo listening on :8080; echo GET / 200 3ms; echo GET /health 200 1ms; echo POST /login 302 12ms; exec sleep 100000",
		"service web1 tags=web,prod", "service web1 desc=front end, port 8080",
		"service web2 cmd=sleep 100000", "service web2 tags=web,prod",
		"service api cmd=sleep 100000", "service api tags=api,prod",
		"service db cmd=sleep 100000", "service db tags=db",
		"service worker-1 cmd=sleep 100000", "service worker-1 tags=worker",
		"service worker-2 cmd=sleep 100000", "service worker-2 tags=worker",
		"service report cmd=sh -c 'sleep 1; exit 3'", "service report tags=batch", "service report respawn_on_fail=0",
		"service report startwait_secs=0.2",
		"service importer cmd=sh -c 'exit 1'", "service importer tags=batch",
		"service old-cron cmd=sleep 100000", "service old-cron tags=batch",
		"command start service web1", "command start service web2", "command start service api", "command start service db",
		"command start service worker-1", "command start service worker-2", "command start service report",
		"command start service importer")
	do(t, ctx, "load the page", chromedp.Navigate(d.url))
	waitJS(t, ctx, "the report failed", `document.querySelector('tr[data-name="report"] td.state')?.dataset.state === 'fail'`)
	pid := d.pidOf("worker-2")
	syscall.Kill(pid, syscall.SIGKILL)
	do(t, ctx, "give the token", chromedp.SendKeys(chromedp.ID("token"), token), chromedp.Click(chromedp.ID("token-save")))
	waitJS(t, ctx, "the buttons", jsButtons+` > 0 && `+jsPid("worker-2")+` !== `+strconv.Itoa(pid)+
		` && document.querySelector('tr[data-name="worker-2"] td.state')?.dataset.state === 'running'`)
	do(t, ctx, "open web1", chromedp.Click(chromedp.CSS(`tr[data-name="web1"] td.name`)))
	waitJS(t, ctx, "web1's detail", `document.querySelector('tr.detail') !== null`)
	waitJS(t, ctx, "web1's log lines", `(document.querySelector('tr.detail')?.textContent || '').includes('POST /login')`)
	c, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("screenshot: %s\n", out)
}
