package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// deadline bounds every wait of these tests; nothing here runs a real
// process.
const deadline = 10 * time.Second

// fakeLauncher launches no process: pids are numbers, SIGTERM and SIGKILL
// end them at once, and crash ends one as a signal would.
type fakeLauncher struct {
	mu     sync.Mutex
	next   int
	onExit map[int]func(int, syscall.WaitStatus)
}

func (f *fakeLauncher) Launch(_ osproc.Spec, onExit func(int, syscall.WaitStatus)) (*osproc.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onExit == nil {
		f.onExit, f.next = map[int]func(int, syscall.WaitStatus){}, 100000
	}
	f.next++
	f.onExit[f.next] = onExit
	return &osproc.Process{Pid: f.next}, nil
}

func (f *fakeLauncher) Signal(p *osproc.Process, sig syscall.Signal) error {
	if sig == syscall.SIGTERM || sig == syscall.SIGKILL {
		if !f.end(p.Pid, syscall.WaitStatus(sig)) {
			return osproc.ErrDone
		}
	}
	return nil
}

func (f *fakeLauncher) Handle(pid, _ int) (*osproc.Process, error) {
	return &osproc.Process{Pid: pid}, nil
}

// end reaps pid with status ws; false when it is not alive.
func (f *fakeLauncher) end(pid int, ws syscall.WaitStatus) bool {
	f.mu.Lock()
	fn := f.onExit[pid]
	delete(f.onExit, pid)
	f.mu.Unlock()
	if fn == nil {
		return false
	}
	fn(pid, ws)
	return true
}

// rig is a real actor tree on the fake launcher, served by a Server.
type rig struct {
	t    testing.TB
	fake *fakeLauncher
	tree *actors.Tree
	src  *TreeSource
	web  *Server
	http *httptest.Server
}

func quietLog() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func newRig(t testing.TB, o Options) *rig {
	t.Helper()
	r := &rig{t: t, fake: &fakeLauncher{}}
	tree, err := actors.Start(actors.Options{Launcher: r.fake, Log: quietLog(), ServiceLog: quietLog(),
		Env: []string{"PATH=/usr/bin:/bin"}, BackoffUnit: 10 * time.Millisecond, RestartDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.tree = tree
	r.src = NewTreeSource(tree.System, tree.Controller)
	o.Source = r.src
	if o.Events == nil {
		o.Events = EventStreamEvents{Stream: tree.System.EventStream}
	}
	if o.Log == nil {
		o.Log = quietLog()
	}
	if o.Reader == nil {
		// the tests of what the GETs answer: the read rule is
		// readers_test.go's
		o.OpenRead = true
	}
	r.web = New(o)
	r.http = httptest.NewServer(r.web.Handler())
	t.Cleanup(func() {
		r.http.CloseClientConnections()
		r.web.Close()
		r.http.Close()
		r.src.Close()
		tree.Stop()
	})
	return r
}

// ok runs statements that must succeed.
func (r *rig) ok(lines ...string) {
	r.t.Helper()
	for _, l := range lines {
		if rep := r.tree.Exec(l, deadline); rep.Err != nil {
			r.t.Fatalf("%s: %v", l, rep.Err)
		}
	}
}

// info is the inspect record of one service.
func (r *rig) info(name string) messages.ServiceInfo {
	r.t.Helper()
	rep := r.tree.Exec("command inspect service "+name, deadline)
	if rep.Err != nil || len(rep.Lines) != 1 {
		r.t.Fatalf("inspect %s: %v %q", name, rep.Err, rep.Lines)
	}
	i, err := messages.ParseServiceInfo(rep.Lines[0])
	if err != nil {
		r.t.Fatal(err)
	}
	return i
}

// until waits for cond on the inspect record of name.
func (r *rig) until(name, what string, cond func(messages.ServiceInfo) bool) messages.ServiceInfo {
	r.t.Helper()
	end := time.Now().Add(deadline)
	for {
		i := r.info(name)
		if cond(i) {
			return i
		}
		if time.Now().After(end) {
			r.t.Fatalf("%s: never %s: %+v", name, what, i)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running starts name and waits until it runs; it returns its pid.
func (r *rig) running(name string) int {
	r.t.Helper()
	r.ok("command start service " + name)
	return r.until(name, "running", func(i messages.ServiceInfo) bool { return i.State == messages.Running }).Pid
}

// do sends a request to the server.
func (r *rig) do(method, path, token string) (*http.Response, string) {
	r.t.Helper()
	req, err := http.NewRequest(method, r.http.URL+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := r.http.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// expect sends a request and checks its status code.
func (r *rig) expect(method, path, token string, code int) string {
	r.t.Helper()
	res, body := r.do(method, path, token)
	if res.StatusCode != code {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, strings.TrimSpace(body), code)
	}
	return body
}
