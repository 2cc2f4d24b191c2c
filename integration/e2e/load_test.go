package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// loadDuration bounds each phase of the load test.
const loadDuration = 5 * time.Second

// maxWindows bounds the operations a load test marks (loadResult.open).
const maxWindows = 4

// loadResult counts what the clients saw. The test marks each operation
// under test (a restart, an upgrade) as a window, opened and closed in
// turn; each request served counts for every window it was in flight
// during (begun before the window closed, answered after it opened), so
// that a test can check that the load overlapped each operation however
// fast or slow the machine is.
type loadResult struct {
	requests, failures, refused int64
	firstErr                    atomic.Value                 // string
	opened, closed              atomic.Int32                 // windows opened, and closed, so far
	served                      [maxWindows + 1]atomic.Int64 // by window, from 1
}

// open marks the start of the next window (at most maxWindows); close the
// end of the one open.
func (r *loadResult) open()  { r.opened.Add(1) }
func (r *loadResult) close() { r.closed.Store(r.opened.Load()) }

// count records a request served that began when closedAtBegin windows
// had closed.
func (r *loadResult) count(closedAtBegin int32) {
	for k := closedAtBegin + 1; k <= r.opened.Load(); k++ {
		r.served[k].Add(1)
	}
}

// overlapped reports each window, named by what, during which no request
// in flight was served: the load did not run across that operation.
func (r *loadResult) overlapped(t *testing.T, what string) {
	t.Helper()
	for i := int32(1); i <= r.opened.Load(); i++ {
		if r.served[i].Load() == 0 {
			t.Errorf("%s #%d: no request in flight during it was served: the load did not overlap it", what, i)
		}
	}
}

func (r *loadResult) String() string {
	s := fmt.Sprintf("%d requests, %d failed (%d connection refused)", r.requests, r.failures, r.refused)
	if e, _ := r.firstErr.Load().(string); e != "" {
		s += "; first failure: " + e
	}
	return s
}

// load sends GET requests to url from clients goroutines, each on a new
// connection, until stop is closed, and counts them in res. One request
// in eight takes 50 ms in the worker, so that restarts find requests in
// flight.
func load(url string, clients int, stop <-chan struct{}, res *loadResult) {
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				u := url
				if (n+i)%8 == 0 {
					u += "?sleep=0.05"
				}
				atomic.AddInt64(&res.requests, 1)
				began := res.closed.Load()
				if err := get(hc, u); err == nil {
					res.count(began)
				} else {
					atomic.AddInt64(&res.failures, 1)
					if errors.Is(err, syscall.ECONNREFUSED) {
						atomic.AddInt64(&res.refused, 1)
					}
					res.firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}(i)
	}
	wg.Wait()
}

func get(hc *http.Client, url string) error {
	resp, err := hc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("hello from web")) {
		return fmt.Errorf("status %d, body %q", resp.StatusCode, b)
	}
	return nil
}

// TestPreforkRestartsDropNothing is the load test of shared sockets: the
// prefork example (three python workers sharing one socket, graceful on
// SIGTERM) serves requests sent continuously for loadDuration while every
// worker is restarted, all at once (`cfkctl restart @web`: connections
// wait in the backlog of the socket cfkd keeps bound) and then one at a
// time (`cfkctl restart --rolling @web`). No request may fail, and no
// connection be refused.
func TestPreforkRestartsDropNothing(t *testing.T) {
	runPreforkLoad(t, nil, []preforkPhase{
		{"restart @web", []string{"restart", "@web"}, 0},
		{"restart --rolling @web", []string{"restart", "--rolling", "@web"}, 0},
	})
}

// TestPreforkRollingRestartWaitsForReadiness: the same workers, each
// taking 1 s to warm up before it accepts, with ready=http on a health
// port of their own: a rolling restart stops the next worker only once the
// previous one serves (so it takes at least 3 × 1 s), and drops nothing.
func TestPreforkRollingRestartWaitsForReadiness(t *testing.T) {
	var extra []string
	for _, w := range []string{"web1", "web2", "web3"} {
		port := freePort(t)
		extra = append(extra,
			fmt.Sprintf("service %s add_env=WORKER_WARMUP=1", w),
			fmt.Sprintf("service %s add_env=WORKER_HEALTH_PORT=%d", w, port),
			fmt.Sprintf("service %s ready=http:http://127.0.0.1:%d/", w, port))
	}
	runPreforkLoad(t, extra, []preforkPhase{
		{"restart --rolling @web (ready=http, 1 s warm-up)", []string{"restart", "--rolling", "@web"}, 3 * time.Second},
	})
}

// preforkPhase is one restart done twice under load; each must take at
// least minTook.
type preforkPhase struct {
	name    string
	args    []string
	minTook time.Duration
}

// startPrefork runs cfkd on examples/prefork's config as it is (extra
// lines before its `command start tag web`), on a port of the kernel's
// choosing.
func startPrefork(t *testing.T, extra []string) *daemon {
	t.Helper()
	needPython(t)
	example, err := filepath.Abs("../../examples/prefork")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(example, "prefork.conf"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(conf), "${BASE}", example)
	if !strings.Contains(text, "socket web service=8080\n") || !strings.Contains(text, "command start tag web") {
		t.Fatal("the example no longer declares socket web service=8080, or starts @web")
	}
	text = strings.Replace(text, "socket web service=8080\n", "socket web service=0\n", 1)
	text = strings.Replace(text, "command start tag web", strings.Join(append(extra, "command start tag web"), "\n"), 1)
	confPath := filepath.Join(t.TempDir(), "prefork.conf")
	if err := os.WriteFile(confPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return startDaemon(t, "", "-c", confPath)
}

// runPreforkLoad runs the prefork example (plus the extra declarations,
// before its `command start`) on a port of the kernel's choosing, and each
// phase under load: no request may fail, no connection be refused, every
// worker must have a new pid.
func runPreforkLoad(t *testing.T, extra []string, phases []preforkPhase) {
	d := startPrefork(t, extra)
	c := d.dial()
	workers := []string{"web1", "web2", "web3"}
	allRunning := func() bool {
		for _, w := range workers {
			if c.status(w)[1] != "running" {
				return false
			}
		}
		return true
	}
	c.until("every worker running", allRunning)
	url := "http://127.0.0.1:" + c.socketPort("web") + "/"

	for _, phase := range phases {
		c = d.dial()
		before := map[string]string{}
		for _, w := range workers {
			before[w] = c.status(w)[2]
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		res := &loadResult{}
		go func() { load(url, 8, stop, res); close(done) }()
		start := time.Now()
		// restart twice during the window, a second apart from its edges
		var ctlErr error
		for i := 0; i < 2 && ctlErr == nil; i++ {
			time.Sleep(time.Second)
			began := time.Now()
			res.open()
			ctlErr = d.ctlRun(phase.args...)
			res.close()
			if took := time.Since(began); ctlErr == nil && took < phase.minTook {
				t.Errorf("%s took %v, less than %v: it did not wait for readiness", phase.name, took, phase.minTook)
			}
		}
		if left := loadDuration - time.Since(start); left > 0 {
			time.Sleep(left)
		}
		close(stop)
		<-done
		t.Logf("%s ×2 under load for %v: %s", phase.name, time.Since(start).Round(100*time.Millisecond), res)
		if ctlErr != nil {
			t.Fatalf("cfkctl %s: %v", strings.Join(phase.args, " "), ctlErr)
		}
		if res.failures != 0 || res.refused != 0 {
			t.Errorf("%s: %s", phase.name, res)
		}
		res.overlapped(t, phase.name)
		c = d.dial() // a phase may outlast a connection's deadline
		c.until("every worker running again", allRunning)
		for _, w := range workers {
			if pid := c.status(w)[2]; pid == before[w] {
				t.Errorf("%s: %s was not restarted (pid %s)", phase.name, w, pid)
			}
		}
	}
}

// ctlRun runs cfkctl against d from any goroutine (no t.Fatal).
func (d *daemon) ctlRun(args ...string) error {
	cmd := exec.Command(cfkctlBin, append([]string{"--address", "unix:" + d.sock}, args...)...)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// TestLoadResultWindows: a request counts for every window it was in
// flight during, and for none it did not overlap.
func TestLoadResultWindows(t *testing.T) {
	var r loadResult
	r.count(r.closed.Load()) // begun and served before any window
	r.open()
	inOne := r.closed.Load() // begun during window 1
	r.close()
	between := r.closed.Load() // begun between the windows
	r.open()
	r.count(inOne)   // served during window 2: in flight during 1 and 2
	r.count(between) // in flight during 2
	r.close()
	r.count(r.closed.Load()) // begun and served after both
	for i, want := range []int64{0, 1, 2, 0, 0} {
		if got := r.served[i].Load(); got != want {
			t.Errorf("served[%d] = %d, want %d", i, got, want)
		}
	}
}
