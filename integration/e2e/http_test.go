package e2e

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// httpURL waits for cfkd's log to say where its status page is.
func (d *daemon) httpURL() string {
	d.t.Helper()
	re := regexp.MustCompile(`status page and /metrics on (http://127\.0\.0\.1:\d+/);`)
	end := time.Now().Add(deadline)
	for {
		log, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		if m := re.FindSubmatch(log); m != nil {
			return string(m[1])
		}
		if time.Now().After(end) {
			d.t.Fatalf("no status page URL in cfkd's log:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape reads /metrics with Prometheus' text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := (&http.Client{Timeout: deadline}).Get(url + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("/metrics: %d %v", res.StatusCode, err)
	}
	return fams
}

// metric is the value of the series of family name with these label
// values (name=value, all of them); -1 when there is none.
func metric(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	for _, m := range fams[name].GetMetric() {
		var have []string
		for _, l := range m.GetLabel() {
			have = append(have, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(have, ",") != strings.Join(labels, ",") {
			continue
		}
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	return -1
}

func post(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{Timeout: deadline}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// A real cfkd with --http 127.0.0.1:0: /metrics right after a real crash
// (the restart counted, the state), and the token rule from a client's
// side (403 without, 401 wrong, the restart with it).
func TestHTTPMetricsAfterCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	os.WriteFile(token, []byte("e2e-token-e2e-token\n"), 0o600)
	d := startDaemon(t, "", "--http", "127.0.0.1:0", "--http-token", token)
	url := d.httpURL()
	c := d.dial()
	c.ok("service web cmd=sleep 100", "service web tags=front", "service web startwait_secs=0.2",
		"service once cmd=sleep 100", "service once respawn_on_fail=0", "service once startwait_secs=0.2",
		"command start all")
	running := func(name string) int {
		var pid int
		c.until(name+" running", func() bool {
			f := c.status(name)
			pid, _ = strconv.Atoi(f[2])
			return f[1] == "running"
		})
		return pid
	}
	pid, once := running("web"), running("once")

	fams := scrape(t, url)
	if v := metric(fams, "cfk_service_state", "service=web", "state=running"); v != 1 {
		t.Errorf("web running: %v", v)
	}
	if v := metric(fams, "cfk_service_restarts_total", "service=web"); v != 0 {
		t.Errorf("web restarts: %v", v)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	syscall.Kill(once, syscall.SIGKILL)
	c.until("web restarted", func() bool { f := c.status("web"); return f[2] != "" && f[2] != strconv.Itoa(pid) })
	c.until("once failed", func() bool { return c.status("once")[1] == "fail" })
	fams = scrape(t, url)
	if v := metric(fams, "cfk_service_restarts_total", "service=web"); v != 1 {
		t.Errorf("web restarts after a crash: %v", v)
	}
	if v := metric(fams, "cfk_service_up", "service=web", "tags=front"); v != 1 {
		t.Errorf("web up after a crash: %v", v)
	}
	for _, st := range []string{"stopped", "starting", "running", "stopping", "fail", "fatal", "backoff"} {
		want := 0.0
		if st == "fail" {
			want = 1
		}
		if v := metric(fams, "cfk_service_state", "service=once", "state="+st); v != want {
			t.Errorf("once %s: %v, want %v", st, v, want)
		}
	}
	if metric(fams, "process_open_fds") <= 0 || metric(fams, "go_goroutines") <= 0 {
		t.Error("no process or Go metrics")
	}

	// the token rule, from outside
	restart := url + "api/services/web/restart"
	if code := post(t, restart, ""); code != 403 {
		t.Errorf("without a token: %d", code)
	}
	if code := post(t, restart, "nope"); code != 401 {
		t.Errorf("with a wrong token: %d", code)
	}
	before := c.status("web")[2]
	if code := post(t, restart, "e2e-token-e2e-token"); code != 200 {
		t.Errorf("with the token: %d", code)
	}
	if now := c.status("web")[2]; now == before || now == "" {
		t.Errorf("web's pid %s before the restart, %s after", before, now)
	}

	// USR1 re-reads the token file: a token withdrawn is refused at the
	// next request, the new one acts (it was read once, at start)
	os.WriteFile(token, []byte("rotated-e2e-token\n"), 0o600)
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitLog(t, d.home, "reloaded 1 tokens from "+token)
	if code := post(t, restart, "e2e-token-e2e-token"); code != 401 {
		t.Errorf("with the withdrawn token: %d", code)
	}
	if code := post(t, restart, "rotated-e2e-token"); code != 200 {
		t.Errorf("with the new token: %d", code)
	}
}

// A non-loopback --http without --http-remote: cfkd refuses to start.
func TestHTTPRemoteRefused(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command(cfkdBin, "--home", home, "--http", "0.0.0.0:0")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(stderr.String(), "is not a loopback address") {
			t.Errorf("cfkd --http 0.0.0.0:0: %v %q", err, stderr.String())
		}
	case <-time.After(deadline):
		cmd.Process.Kill()
		<-done
		t.Fatal("cfkd --http 0.0.0.0:0 did not exit")
	}
	killHome(home)
}

// -d says where the status page is, with its real port.
func TestHTTPDetachSaysURL(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command(cfkdBin, "--home", home, "-d", "--http", "127.0.0.1:0")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	gone := false
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(home, "lock")); err == nil && !gone {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		killHome(home)
	})
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`^cfkd running in the background as pid (\d+), console on unix:\S+, status page on (http://127\.0\.0\.1:\d+/)\n$`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("cfkd -d --http 127.0.0.1:0: %v %q", err, out)
	}
	res, err := (&http.Client{Timeout: deadline}).Get(m[2] + "api/services")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %sapi/services: %v", m[2], err)
	}
	res.Body.Close()
	d := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	c := d.dial()
	if l := c.ok("command shutdown"); len(l) != 1 || l[0] != "done 0" {
		t.Fatalf("shutdown %q", l)
	}
	pid, _ := strconv.Atoi(m[1])
	c.until("the detached cfkd gone", func() bool { return syscall.Kill(pid, 0) != nil })
	gone = true
}

// The page's log panel reads cfkd's tail store: the last lines of a
// service, and 404 for an unknown one.
func TestHTTPLogLines(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "", "--http", "127.0.0.1:0")
	defer d.stop()
	url := d.httpURL()
	c := d.dial()
	c.ok("service talker cmd=for i in 1 2 3 4 5; do echo line $i; done; exec sleep 100", "command start service talker")
	hc := &http.Client{Timeout: deadline}
	get := func(path string) (int, string) {
		res, err := hc.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, b.String()
	}
	c.until("the lines in the panel", func() bool {
		code, body := get("api/services/talker/log?n=2")
		return code == 200 && body == `{"lines":["line 4","line 5"]}`+"\n"
	})
	if code, _ := get("api/services/nosuch/log"); code != 404 {
		t.Fatalf("unknown service: %d", code)
	}
}
