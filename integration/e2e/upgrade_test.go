package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/cfk/cfk/upgrade"
)

// The tests of the upgrade in place (REFERENCE §13) run cfkdBin, then
// upgrade it to builds that differ from it: upgradeNewBin says
// newVersion, upgradeOldStateBin knows only state version 0 (it must
// refuse the state of cfkdBin).
const newVersion = "upgrade-new"

var (
	upgradeBinsOnce                   sync.Once
	upgradeNewBin, upgradeOldStateBin string
	upgradeBinsErr                    error
)

// upgradeBins builds the two other cfkds once, as TestMain builds cfkd.
func upgradeBins(t testing.TB) (newBin, oldStateBin string) {
	t.Helper()
	upgradeBinsOnce.Do(func() {
		dir := filepath.Dir(cfkdBin)
		upgradeNewBin, upgradeOldStateBin = filepath.Join(dir, "cfkd-new"), filepath.Join(dir, "cfkd-oldstate")
		builds := map[string]string{
			upgradeNewBin:      "-X github.com/cfk/cfk/messages.Version=" + newVersion,
			upgradeOldStateBin: "-X github.com/cfk/cfk/messages.Version=oldstate -X github.com/cfk/cfk/upgrade.StateVersion=0",
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for bin, ld := range builds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				args := append([]string{"build", "-o", bin, "-ldflags", ld}, testkit.BuildFlags()...)
				if raceEnabled {
					args = append(args, "-race")
				}
				if out, err := exec.Command("go", append(args, "../../cmd/cfkd")...).CombinedOutput(); err != nil {
					mu.Lock()
					upgradeBinsErr = fmt.Errorf("go build %s: %v\n%s", bin, err, out)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	})
	if upgradeBinsErr != nil {
		t.Fatal(upgradeBinsErr)
	}
	return upgradeNewBin, upgradeOldStateBin
}

// version is what `command version` answers.
func (c *client) version() string {
	c.t.Helper()
	return c.ok("command version")[0]
}

// runA declares service a (sleep 1000), starts it, and returns its pid
// once it runs.
func (c *client) runA() string {
	c.t.Helper()
	c.ok("service a cmd=sleep 1000", "command start service a")
	c.until("a running", func() bool { return c.status("a")[1] == "running" })
	return c.pidsOf()["a"]
}

// pidsOf is `command pids`: service → pid ("" when none).
func (c *client) pidsOf() map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, l := range c.ok("command pids") {
		name, pid, _ := strings.Cut(l, ":")
		out[name] = strings.TrimSpace(pid)
	}
	return out
}

// infos is `command inspect`: service → its record.
func (c *client) infos() map[string]messages.ServiceInfo {
	c.t.Helper()
	out := map[string]messages.ServiceInfo{}
	for _, l := range c.ok("command inspect") {
		i, err := messages.ParseServiceInfo(l)
		if err != nil {
			c.t.Fatalf("inspect: %v: %q", err, l)
		}
		out[i.Name] = i
	}
	return out
}

// upgradeTo asks cfkd to upgrade to bin on a connection of its own and
// waits until the new cfkd answers `command version` with want.
func (d *daemon) upgradeTo(bin, want string) time.Duration {
	d.t.Helper()
	began := time.Now()
	r := d.dial().do("command upgrade " + bin)
	if r.Err != nil {
		d.t.Fatalf("upgrade to %s: %v", bin, r.Err)
	}
	end := time.Now().Add(deadline)
	for {
		if d.versionIs(want) {
			return time.Since(began)
		}
		select {
		case <-d.exited:
			d.t.Fatalf("cfkd exited during the upgrade: %v\n%s", d.err, d.stderr.String())
		default:
		}
		if time.Now().After(end) {
			d.t.Fatalf("the new cfkd never answered %q\n%s", want, d.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// versionIs says whether cfkd answers `command version` with want on a
// new connection; any failure (a connection closed by an upgrade) is no.
func (d *daemon) versionIs(want string) bool {
	c, err := net.Dial("unix", d.sock)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(deadline))
	cl := &client{t: d.t, conn: c, r: bufio.NewReader(c)}
	rep, err := cl.try("command version")
	return err == nil && rep.Err == nil && len(rep.Lines) == 1 && rep.Lines[0] == want
}

// TestUpgradeKeepsEverything: 50 services (running, three under a running
// proxy, one in backoff, one stopping), two bound sockets, the proxy and a
// proxy that is down cross an upgrade: cfkd's pid, every service's pid
// and restart count are unchanged, the declarations too, the backoff one
// starts again at its original deadline and the stopping one is killed at
// its stopwait; the proxied ones still stop through their proxy.
func TestUpgradeKeepsEverything(t *testing.T) {
	proxyBin := needProxy(t)
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	dir := t.TempDir()
	launches := filepath.Join(dir, "launches")
	var decl []string
	for i := 1; i <= 44; i++ {
		decl = append(decl, fmt.Sprintf("service run%02d cmd=sleep 1000", i), fmt.Sprintf("service run%02d tags=run", i))
	}
	decl = append(decl,
		"socket tcp host=127.0.0.1", "socket tcp service=0",
		"socket unix host=unix/", "socket unix service="+filepath.Join(dir, "u.sock"),
		"service sock cmd=sleep 1000", "service sock listen_sockets=tcp,unix",
		// crashes at once (startwait 0: every exit is a crash), throttled
		// by a doubling delay: its next start is seconds away
		`service crash cmd=sh -c 'date +%s.%N >> `+launches+`; exit 1'`,
		"service crash startwait_secs=0", "service crash restart_max_delay_secs=8",
		// ignores SIGTERM: stopping until SIGKILL at stopwait
		`service stubborn cmd=sh -c 'trap "" TERM; while :; do sleep 0.1; done'`,
		"service stubborn stopwait_secs=3",
		"proxy down cmd=/bin/false", "proxy down noauto=1", "proxy down service idle cmd=sleep 1000",
		"proxy px cmd="+proxyBin,
		"proxy px service px1 cmd=sleep 1000", "proxy px service px2 cmd=sleep 1000", "proxy px service px3 cmd=sleep 1000",
		"service px1 tags=run", "service px2 tags=run", "service px3 tags=run",
	)
	c.ok(decl...)
	c.ok("command bind tcp", "command bind unix", "command start tag run", "command start service sock",
		"command start service stubborn", "command start service crash")
	c.until("every service running", func() bool {
		st := c.infos()
		for name, i := range st {
			if name != "crash" && name != "idle" && i.State != messages.Running {
				return false
			}
		}
		return true
	})
	// the crashing service in backoff with its next start at least 3 s away
	var next time.Time
	c.until("crash in a long backoff", func() bool {
		i := c.infos()["crash"]
		next = i.NextStart
		return i.State == messages.Backoff && time.Until(next) > 3*time.Second
	})
	launchesBefore := len(readLaunches(t, launches))
	c.ok("command stop service stubborn")
	stopAsked := time.Now()
	if st := c.status("stubborn")[1]; st != "stopping" {
		t.Fatalf("stubborn is %s, want stopping", st)
	}
	port := c.socketPort("tcp")
	pids, infos := c.pidsOf(), c.infos()
	desc := c.ok("command desc")
	proxies := c.ok("command proxystatus")
	old := c.version()

	took := d.upgradeTo(newBin, "cfk "+newVersion)
	t.Logf("upgrade of 50 services: the new cfkd answered %v after the request", took.Round(time.Millisecond))
	c = d.dial()
	if got := c.version(); got == old {
		t.Fatalf("version still %q", got)
	}
	if _, err := os.Stat(filepath.Join(d.home, "upgrade.state")); err == nil {
		t.Errorf("the state file is still there once adopted")
	}
	// cfkd's pid: the same process (exec.Cmd still waits for it)
	if b, err := os.ReadFile(filepath.Join(d.home, "lock")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(d.cmd.Process.Pid) {
		t.Errorf("lock file %q (%v), want cfkd's pid %d", b, err, d.cmd.Process.Pid)
	}
	after, afterInfos := c.pidsOf(), c.infos()
	for name, pid := range pids {
		if name == "crash" || name == "stubborn" {
			continue
		}
		if after[name] != pid {
			t.Errorf("%s: pid %s before, %s after", name, pid, after[name])
		}
		if b, a := infos[name], afterInfos[name]; a.Restarts != b.Restarts || a.State != b.State || !a.StartTime.Equal(b.StartTime) {
			t.Errorf("%s: before %s restarts %d started %v, after %s restarts %d started %v",
				name, b.State, b.Restarts, b.StartTime, a.State, a.Restarts, a.StartTime)
		}
	}
	if got := c.ok("command desc"); strings.Join(got, "\n") != strings.Join(desc, "\n") {
		t.Errorf("desc changed:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(desc, "\n"))
	}
	if got := c.socketPort("tcp"); got != port {
		t.Errorf("socket tcp on port %s after, %s before", got, port)
	}
	if conn, err := net.Dial("tcp", "127.0.0.1:"+port); err != nil {
		t.Errorf("the socket no longer listens: %v", err)
	} else {
		conn.Close()
	}
	if got := strings.Join(c.ok("command proxystatus"), "\n"); got != strings.Join(proxies, "\n") {
		t.Errorf("proxystatus after:\n%s\nbefore:\n%s", got, strings.Join(proxies, "\n"))
	}
	if i := afterInfos["crash"]; i.State != messages.Backoff || !i.NextStart.Equal(next) {
		t.Errorf("crash after the upgrade: %s, next start %v, want backoff until %v", i.State, i.NextStart, next)
	}
	if i := afterInfos["stubborn"]; i.State != messages.Stopping || strconv.Itoa(i.Pid) != pids["stubborn"] {
		t.Errorf("stubborn after the upgrade: %s pid %d, want stopping pid %s", i.State, i.Pid, pids["stubborn"])
	}

	// the backoff ends at its deadline: the next launch is then
	n := launchesBefore
	c = d.dial()
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
			t.Logf("cfkd.log:\n%s", grepLines(string(b), "crash", 40))
		}
	})
	c.until("crash launched again", func() bool { return len(readLaunches(t, launches)) > n })
	at := readLaunches(t, launches)[n]
	if early, late := next.Sub(at), at.Sub(next); early > 50*time.Millisecond || late > time.Second {
		t.Errorf("crash launched at %v, its deadline was %v", at, next)
	}
	// the stopwait ends at its deadline: SIGKILL, down
	c = d.dial()
	c.until("stubborn down", func() bool { return c.status("stubborn")[1] == "fail" })
	if took := time.Since(stopAsked); took < 3*time.Second {
		t.Errorf("stubborn stopped %v after the stop, before its stopwait of 3 s", took)
	}
	// and the adopted processes are still supervised: a kill is a crash
	pid, _ := strconv.Atoi(after["run01"])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.until("run01 restarted", func() bool { p := c.pidsOf()["run01"]; return p != "" && p != after["run01"] })
	// and the proxied ones stop through their proxy, which then ends
	c.ok("command stop service px1", "command stop service px2", "command stop service px3")
	c.until("the proxy down", func() bool {
		l := c.ok("command proxystatus")
		return len(l) == 2 && strings.HasPrefix(l[1], "px\tdown")
	})
	for _, s := range []string{"px1", "px2", "px3"} {
		if st := c.status(s)[1]; st != "stopped" {
			t.Errorf("%s: %s after its stop, want stopped", s, st)
		}
	}
}

// readLaunches reads the times the crash service wrote.
func readLaunches(t *testing.T, path string) []time.Time {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Time
	for _, l := range strings.Fields(string(b)) {
		f, err := strconv.ParseFloat(l, 64)
		if err != nil {
			continue
		}
		out = append(out, time.Unix(0, int64(f*1e9)))
	}
	return out
}

// TestUpgradeRefusesBadBinaries: a binary that is not a cfkd able to take
// the state over is an ERROR that says why, and changes nothing: the
// same cfkd, pids, and the asking connection goes on.
func TestUpgradeRefusesBadBinaries(t *testing.T) {
	t.Parallel()
	_, oldState := upgradeBins(t)
	proxyBin := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a",
		"proxy px cmd="+proxyBin, "proxy px service b cmd=sleep 1000", "command start service b")
	c.until("b running under its proxy", func() bool { return c.status("b")[1] == "running" && c.status("b")[2] != "" })
	pids, version := c.pidsOf(), c.version()
	fds, fdsWere := openFds(t, d.cmd.Process.Pid), fdTargets(d.cmd.Process.Pid)
	dir := t.TempDir()
	script := filepath.Join(dir, "exit1")
	crash := filepath.Join(dir, "crash")
	notExec := filepath.Join(dir, "plain")
	for path, text := range map[string]string{script: "#!/bin/sh\necho no state for me >&2\nexit 1\n",
		crash: "#!/bin/sh\nkill -SEGV $$\n", notExec: "#!/bin/sh\n"} {
		mode := os.FileMode(0o755)
		if path == notExec {
			mode = 0o644
		}
		if err := writeFileNoFork(path, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	// a binary another user could change, or put another in its place
	theirs := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	theirBin, inTheirDir := filepath.Join(dir, "their-cfkd"), filepath.Join(theirs, "cfkd")
	for _, p := range []string{theirBin, inTheirDir} {
		if err := writeExecutable(p, []byte("#!/bin/sh\nexit 1\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(theirBin, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ bin, want string }{
		{theirBin, "owned by uid 65534, neither root nor cfkd's user (uid 0): that user could choose the program that cfkd execs"},
		{inTheirDir, "could put another file or a symlink in its place, and choose the program that cfkd execs"},
		{"/bin/true", "it exited 0 without the check line"},
		{script, "exited with status 1: no state for me"},
		{crash, "was killed by signal 11"},
		{oldState, fmt.Sprintf("refused the state: cfkd oldstate: upgrade state: version %d is newer than this cfkd's (0): refused", upgrade.Version())},
		{notExec, "not an executable file"},
		{filepath.Join(dir, "missing"), "no such file or directory"},
	} {
		r := c.do("command upgrade " + tc.bin)
		if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("upgrade to %s: %v, want an ERROR with %q", tc.bin, r.Err, tc.want)
		}
		// the same connection, the same cfkd
		if got := c.version(); got != version {
			t.Errorf("after %s: version %q, want %q", tc.bin, got, version)
		}
	}
	if got := c.pidsOf(); got["a"] != pids["a"] || got["b"] != pids["b"] {
		t.Errorf("pids %v, were %v", got, pids)
	}
	// the checks' output pipes close once the poller reads their end,
	// which may come after the reply
	c.until(fmt.Sprintf("cfkd's fds back to %d after the refused upgrades", fds), func() bool {
		return openFds(t, d.cmd.Process.Pid) <= fds
	})
	// cfkctl says it, exit 1
	out, errOut, code := d.ctl("", "upgrade", "--binary", "/bin/true")
	if code != 1 || !strings.Contains(errOut, "without the check line") {
		t.Errorf("cfkctl upgrade --binary /bin/true: exit %d, %q %q", code, out, errOut)
	}
	// still able to upgrade for real afterwards, and back
	newBin, _ := upgradeBins(t)
	d.upgradeTo(newBin, "cfk "+newVersion)
	d.upgradeTo(cfkdBin, version)
	c = d.dial()
	if got := c.pidsOf(); got["a"] != pids["a"] || got["b"] != pids["b"] {
		t.Errorf("pids after two upgrades %v, were %v", got, pids)
	}
	// a new cfkd holds no fd the old one did not (it may hold fewer: what
	// the old one had opened once and kept); cfkd closes its side of a
	// connection the test closed (upgradeTo's last `command version`) once
	// it reads the end, which may come after the reply read here
	for end := time.Now().Add(deadline); openFds(t, d.cmd.Process.Pid) > fds; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Errorf("cfkd holds %d fds after two upgrades, %d before:\nnow %v\nbefore %v",
				openFds(t, d.cmd.Process.Pid), fds, fdTargets(d.cmd.Process.Pid), fdsWere)
			break
		}
	}
	// the proxied service still stops through its proxy
	c.ok("command stop service b")
	c.until("b stopped", func() bool { return c.status("b")[1] == "stopped" })
}

// openFds counts the fds of process pid.
func openFds(t *testing.T, pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return len(ents)
}

// fdTargets says what pid's fds are.
func fdTargets(pid int) []string {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	var out []string
	for _, e := range ents {
		l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		out = append(out, e.Name()+"→"+l)
	}
	return out
}

var numberedLine = regexp.MustCompile(`(?m) INFO service\.count\.out - (\d+)$`)

// TestUpgradeLosesNoLine: a service writes a numbered line every
// millisecond across two upgrades; its log has every number.
func TestUpgradeLosesNoLine(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service count cmd=["`+py+`", "-u", "-c", "import time,itertools\nfor i in itertools.count(1):\n print(i)\n time.sleep(0.001)"]`,
		"command start service count")
	logPath := filepath.Join(d.home, "cfkd.log")
	c.until("some lines logged", func() bool { return len(numbers(t, logPath)) > 200 })
	d.upgradeTo(newBin, "cfk "+newVersion)
	n := len(numbers(t, logPath))
	c = d.dial()
	c.until("more lines", func() bool { return len(numbers(t, logPath)) > n+200 })
	d.upgradeTo(cfkdBin, versionOf(t))
	c = d.dial()
	n = len(numbers(t, logPath))
	c.until("more lines", func() bool { return len(numbers(t, logPath)) > n+200 })
	c.ok("command stop service count")
	c.until("count stopped", func() bool { return c.status("count")[1] != "running" && c.status("count")[1] != "stopping" })
	got := numbers(t, logPath)
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("line %d of the service is %d (of %d lines): a line was lost or doubled", i+1, v, len(got))
		}
	}
	t.Logf("%d numbered lines, none lost", len(got))
}

// versionOf is what cfkdBin answers to `command version`.
func versionOf(t *testing.T) string {
	out, err := exec.Command(cfkdBin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	return "cfk " + strings.TrimPrefix(strings.TrimSpace(string(out)), "cfkd ")
}

func numbers(t *testing.T, path string) []int {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range numberedLine.FindAllSubmatch(b, -1) {
		v, _ := strconv.Atoi(string(m[1]))
		out = append(out, v)
	}
	return out
}

// TestUpgradeUnderPreforkLoad: the prefork example serves requests sent
// continuously for loadDuration while cfkd is upgraded twice (to the new
// build and back): no request fails, no connection is refused, and the
// workers keep their pids (nothing restarted).
func TestUpgradeUnderPreforkLoad(t *testing.T) {
	needPython(t)
	newBin, _ := upgradeBins(t)
	d := startPrefork(t, nil)
	c := d.dial()
	workers := []string{"web1", "web2", "web3"}
	c.until("every worker running", func() bool {
		for _, w := range workers {
			if c.status(w)[1] != "running" {
				return false
			}
		}
		return true
	})
	url := "http://127.0.0.1:" + c.socketPort("web") + "/"
	before := c.pidsOf()
	old := c.version()

	stop := make(chan struct{})
	done := make(chan struct{})
	res := &loadResult{}
	go func() { load(url, 8, stop, res); close(done) }()
	start := time.Now()
	time.Sleep(time.Second)
	res.open()
	took1 := d.upgradeTo(newBin, "cfk "+newVersion)
	res.close()
	time.Sleep(time.Second)
	res.open()
	took2 := d.upgradeTo(cfkdBin, old)
	res.close()
	if left := loadDuration - time.Since(start); left > 0 {
		time.Sleep(left)
	}
	close(stop)
	<-done
	t.Logf("two upgrades (%v, %v) under load for %v: %s", took1.Round(time.Millisecond), took2.Round(time.Millisecond),
		time.Since(start).Round(100*time.Millisecond), res)
	if res.failures != 0 || res.refused != 0 {
		t.Errorf("%s", res)
	}
	res.overlapped(t, "upgrade")
	after := d.dial().pidsOf()
	for _, w := range workers {
		if after[w] != before[w] {
			t.Errorf("%s: pid %s before, %s after: restarted", w, before[w], after[w])
		}
	}
	// the adopted socket is handed to the workers started by the new cfkd
	if err := d.ctlRun("restart", "@web"); err != nil {
		t.Fatal(err)
	}
	c = d.dial()
	c.until("every worker running again", func() bool {
		for _, w := range workers {
			if c.status(w)[1] != "running" {
				return false
			}
		}
		return true
	})
	hc := &http.Client{Timeout: deadline, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 10; i++ {
		if err := get(hc, url); err != nil {
			t.Fatalf("after a restart by the new cfkd: %v", err)
		}
	}
}

// TestUpgradeKeepsNotifySocket: a ready=notify service still starting
// when cfkd is upgraded says READY=1 to the notify socket that crossed:
// the new cfkd hears it, and the service is running (same pid).
func TestUpgradeKeepsNotifySocket(t *testing.T) {
	needSystemdNotify(t)
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service s cmd=sleep 1.5; systemd-notify --ready; exec sleep 100`,
		"service s ready=notify", "service s startwait_secs=0.2", "command start service s")
	if st := c.status("s")[1]; st != "starting" {
		t.Fatalf("s is %s, want starting (not ready yet)", st)
	}
	pid := c.pidsOf()["s"]
	d.upgradeTo(newBin, "cfk "+newVersion)
	c = d.dial()
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	if got := c.pidsOf()["s"]; got != pid {
		t.Errorf("pid %s, was %s", got, pid)
	}
	waitLog(t, d.home, "upgraded in place")
}

// TestUpgradeKeepsSharedNotifySocket: the shared notify socket of the
// services run as other users crosses an upgrade in place with the uids
// it takes (REFERENCE §2.9, §13): the new cfkd hears the STATUS= of a
// service run as nobody, started by the former cfkd, and a run the new
// cfkd starts says READY=1 to it.
func TestUpgradeKeepsSharedNotifySocket(t *testing.T) {
	t.Parallel()
	needRoot(t)
	needSystemdNotify(t)
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service s cmd=systemd-notify --ready; i=0; while :; do i=$((i+1)); systemd-notify --status=tick$i; sleep 0.2; done`,
		"service s user=nobody", "service s ready=notify", "service s startwait_secs=0.1", "service s stopwait_secs=1",
		"command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	tick := func() int {
		info := c.ok("command inspect service s")
		_, v, _ := strings.Cut(info[0], `"notify_status":"tick`)
		n, _ := strconv.Atoi(strings.SplitN(v, `"`, 2)[0])
		return n
	}
	c.until("a STATUS= heard", func() bool { return tick() > 0 })
	d.upgradeTo(newBin, "cfk "+newVersion)
	c = d.dial()
	first := tick()
	c.until("a STATUS= heard by the new cfkd", func() bool { return tick() > first })
	pid := c.pidsOf()["s"]
	c.ok("command restart service s")
	c.until("s running again, a new run", func() bool {
		return c.status("s")[1] == "running" && c.pidsOf()["s"] != pid
	})
}

// TestUpgradeClientsAndListeners: the --http listener crosses (the same
// port answers the new cfkd's /metrics); a client connected before the
// upgrade, idle or streaming events, is closed cleanly (EOF, no hang); a
// read-only console cannot upgrade; a second upgrade while one runs and
// an upgrade after a shutdown began are refused.
func TestUpgradeClientsAndListeners(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "", "--http", "127.0.0.1:0", "--command-only")
	url := d.httpURL()
	c := d.dial()
	if r := c.do("command upgrade " + newBin); r.Err == nil || r.Err.Error() != "not authorized" {
		t.Fatalf("upgrade on an operate console: %v, want ERROR: not authorized", r.Err)
	}
	d.stop()

	d = startDaemon(t, "", "--http", "127.0.0.1:0")
	url = d.httpURL()
	c = d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	idle := d.dial()
	idle.ok("command version") // served by the old cfkd, then idle
	events := d.rawStream("command events")
	c.ok(`service e cmd=echo before; exec sleep 1000`)
	ctlEvents, ctlTail := d.ctlStream("events"), d.ctlStream("tail", "-f", "e")
	syncStreams(c, "probe", ctlEvents)
	c.ok("command start service e")
	events.waitFor("the stream serving", hasService("e", 1)) // subscribed in the old cfkd
	ctlEvents.waitFor("cfkctl events serving", hasService("e", 1))
	ctlTail.waitFor("cfkctl tail -f serving", func(l []string) bool { return slices.Contains(l, "before") })
	d.upgradeTo(newBin, "cfk "+newVersion)
	idle.conn.SetReadDeadline(time.Now().Add(deadline))
	if n, err := idle.r.ReadByte(); err != io.EOF {
		t.Errorf("an idle client got %q, %v, want EOF", n, err)
	}
	// a stream's last line says why it ends, and that it may go on
	if l := events.waitEnd(); l[len(l)-1] != `{"kind":"end","reason":"cfkd is being upgraded in place","resume":true}`+"\r" {
		t.Errorf("the last line of a stream at an upgrade: %q", l[len(l)-1])
	}
	// cfkctl's go on, with the new cfkd
	c = d.dial()
	c.ok(`service e2 cmd=echo after >&2; exec sleep 1000`, "command start service e2", "command restart service e")
	ctlEvents.waitFor("cfkctl events after the upgrade", hasService("e2", 1))
	ctlTail.waitFor("cfkctl tail -f after the upgrade", func(l []string) bool { return slices.Contains(l, "before") && len(l) >= 2 })
	for _, s := range []*stream{ctlEvents, ctlTail} {
		if !strings.Contains(s.err.String(), "cfkd is being upgraded in place: following again") {
			t.Errorf("cfkctl's stderr: %q", s.err.String())
		}
	}
	res, err := (&http.Client{Timeout: deadline}).Get(url + "metrics")
	if err != nil {
		t.Fatalf("the status page after the upgrade: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("/metrics after the upgrade: %s", res.Status)
	}

	// a shutdown under way refuses an upgrade
	c = d.dial()
	c.ok(`service slow cmd=sh -c 'trap "" TERM; while :; do sleep 0.1; done'`, "service slow stopwait_secs=2",
		"command start service slow")
	c.until("slow running", func() bool { return c.status("slow")[1] == "running" })
	down := d.dial()
	if err := protocol.WriteRequest(down.conn, "command shutdown"); err != nil {
		t.Fatal(err)
	}
	c.until("shutting down", func() bool { return c.status("slow")[1] == "stopping" })
	if r := c.do("command upgrade " + newBin); r.Err == nil || r.Err.Error() != "cfkd is shutting down" {
		t.Errorf("upgrade during a shutdown: %v, want ERROR: cfkd is shutting down", r.Err)
	}
	if err := d.waitExit(); err != nil {
		t.Errorf("cfkd after the shutdown: %v", err)
	}
}

// TestUpgradeOnSIGUSR2: SIGUSR2 upgrades from cfkd's executable as it is
// on disk now: a new cfkd put in its place takes over; a file that is not
// a cfkd put there instead is refused, and that is logged.
func TestUpgradeOnSIGUSR2(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	dir := t.TempDir()
	exe := filepath.Join(dir, "cfkd")
	copyFile(t, cfkdBin, exe)
	d := startDaemonBin(t, exe)
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	pids := c.pidsOf()

	copyFile(t, newBin, exe) // a new file renamed over the old one
	d.cmd.Process.Signal(syscall.SIGUSR2)
	c.until("the new cfkd", func() bool { return d.versionIs("cfk " + newVersion) })

	script := filepath.Join(dir, "script")
	if err := writeExecutable(script, []byte("#!/bin/sh\nexit 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(script, exe); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR2)
	logPath := filepath.Join(d.home, "cfkd.log")
	c.until("the failure logged", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "SIGUSR2: upgrade failed") &&
			strings.Contains(string(b), "--check-upgrade exited with status 1")
	})
	c = d.dial()
	if v := c.version(); v != "cfk "+newVersion {
		t.Errorf("version %q after a refused SIGUSR2", v)
	}
	if got := c.pidsOf(); got["a"] != pids["a"] {
		t.Errorf("pid of a %s, was %s", got["a"], pids["a"])
	}
}

// copyFile writes a copy of src at dst (through a rename: a running
// binary is not written over), mode 0755.
func copyFile(t *testing.T, src, dst string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeExecutable(dst+".tmp", b); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dst+".tmp", dst); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeChildrenDyingMeanwhile: services killed while the upgrade
// runs (during the check, the freeze or the exec: whichever) are handled
// as crashes, by the old cfkd or the new one: each runs again, launched
// once more, none lost as a zombie or as "running" with a dead pid.
func TestUpgradeChildrenDyingMeanwhile(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	const n = 20
	for i := 0; i < n; i++ {
		c.ok(fmt.Sprintf("service k%02d cmd=sleep 1000", i), fmt.Sprintf("service k%02d tags=k", i))
	}
	c.ok("command start tag k")
	c.until("all running", func() bool {
		for _, i := range c.infos() {
			if i.State != messages.Running {
				return false
			}
		}
		return true
	})
	before := c.pidsOf()
	asker := d.dial()
	if err := protocol.WriteRequest(asker.conn, "command upgrade "+newBin); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ { // spread over the upgrade
		pid, _ := strconv.Atoi(before[fmt.Sprintf("k%02d", i)])
		syscall.Kill(pid, syscall.SIGKILL)
		time.Sleep(time.Millisecond)
	}
	if r, err := protocol.ReadReply(asker.r); err != nil || r.Err != nil {
		t.Fatalf("upgrade: %v %v", r.Err, err)
	}
	c.until("the new cfkd", func() bool { return d.versionIs("cfk " + newVersion) })
	c = d.dial()
	c.until("every service running again, with a new pid", func() bool {
		pids := c.pidsOf()
		for name, i := range c.infos() {
			if i.State != messages.Running || pids[name] == before[name] {
				return false
			}
		}
		return true
	})
	for name, i := range c.infos() {
		if i.Restarts != 1 {
			t.Errorf("%s: %d restarts, want 1", name, i.Restarts)
		}
	}
	// no zombie left (a live process there now has the pid reused)
	for name, pid := range before {
		p, _ := strconv.Atoi(pid)
		if state, ppid, ok := osprocState(p); ok && state == 'Z' && ppid == d.cmd.Process.Pid {
			t.Errorf("%s: its killed process %d is a zombie of cfkd's", name, p)
		}
	}
}

// osprocState is the state letter and the parent of process pid in
// /proc, if it exists.
func osprocState(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// TestUpgradeExecFails: a binary that passes the check and is gone when
// cfkd execs it (it removes itself): the asker had its OK, cfkd logs the
// failure and goes on as it was: the same version, services and proxy,
// output still read, new clients accepted, and a later upgrade works.
func TestUpgradeExecFails(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	proxyBin := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service w cmd=sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done'`, "command start service w",
		"proxy px cmd="+proxyBin, "proxy px service b cmd=sleep 1000", "command start service b")
	c.until("b running under its proxy", func() bool { return c.status("b")[1] == "running" && c.status("b")[2] != "" })
	pids, version := c.pidsOf(), c.version()
	vanishing := filepath.Join(t.TempDir(), "vanishing")
	script := fmt.Sprintf("#!/bin/sh\necho cfkd-upgrade-ok version=gone state=%d\nrm -f \"$0\"\n", upgrade.Version())
	if err := writeExecutable(vanishing, []byte(script)); err != nil {
		t.Fatal(err)
	}
	if r := c.do("command upgrade " + vanishing); r.Err != nil || len(r.Lines) != 1 || r.Lines[0] != "upgrading to cfkd gone" {
		t.Fatalf("upgrade: %v %q", r.Err, r.Lines)
	}
	logPath := filepath.Join(d.home, "cfkd.log")
	c.until("the failed exec logged", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "upgrade: exec "+vanishing+" failed: cfkd goes on unchanged")
	})
	c = d.dial()
	if v := c.version(); v != version {
		t.Errorf("version %q, want %q", v, version)
	}
	// what the last upgrade did (REFERENCE §13.4): no exec in place yet
	if r := c.do("command upgraded"); r.Err != nil || len(r.Lines) != 1 ||
		!strings.HasPrefix(r.Lines[0], "0\texec-failed\t") || !strings.Contains(r.Lines[0], "\tupgrade: exec "+vanishing+" failed: ") {
		t.Errorf("upgraded after the failed exec: %v %q", r.Err, r.Lines)
	}
	if got := c.pidsOf(); got["w"] != pids["w"] || got["b"] != pids["b"] {
		t.Errorf("pids %v, were %v", got, pids)
	}
	lines := func() int { b, _ := os.ReadFile(logPath); return strings.Count(string(b), "service.w.out - tick") }
	n := lines()
	c.until("w's output read again", func() bool { return lines() > n+5 })
	c.ok("service w desc=changes accepted again")
	// cfkctl upgrade says that it did not take, and why
	if err := writeExecutable(vanishing, []byte(script)); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := d.ctl("", "upgrade", "--binary", vanishing); code != 1 || out != "upgrading to cfkd gone\n" ||
		!strings.Contains(errOut, "cfkctl: upgrade: the upgrade did not take: upgrade: exec "+vanishing+" failed: ") {
		t.Errorf("cfkctl upgrade whose exec failed: exit %d, %q %q", code, out, errOut)
	}
	d.upgradeTo(newBin, "cfk "+newVersion)
	c = d.dial()
	if got := c.pidsOf(); got["w"] != pids["w"] || got["b"] != pids["b"] {
		t.Errorf("pids after the upgrade %v, were %v", got, pids)
	}
	c.ok("command stop service b")
	c.until("b stopped", func() bool { return c.status("b")[1] == "stopped" })
}

// TestUpgradeKeepsLogConfigInForce: the log configuration crosses as it
// is in force, not as the file says since (the file changed, no SIGUSR1
// yet); SIGUSR1 to the new cfkd then applies the file.
func TestUpgradeKeepsLogConfigInForce(t *testing.T) {
	t.Parallel()
	newBin, _ := upgradeBins(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service w cmd=sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done'`, "command start service w")
	conf := filepath.Join(d.home, "log.config")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), "services = file:cfkd.log", "services = file:services.log", 1)
	if changed == string(b) {
		t.Fatal("the default log.config no longer says services = file:cfkd.log")
	}
	if err := os.WriteFile(conf, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	d.upgradeTo(newBin, "cfk "+newVersion)
	main := filepath.Join(d.home, "cfkd.log")
	ticks := func(path string) int {
		b, _ := os.ReadFile(path)
		return strings.Count(string(b), "service.w.out - tick")
	}
	n := ticks(main)
	c = d.dial()
	c.until("ticks still in cfkd.log", func() bool { return ticks(main) > n+5 })
	if _, err := os.Stat(filepath.Join(d.home, "services.log")); err == nil {
		t.Errorf("services.log exists: the file's configuration was applied, not the one in force")
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	c.until("ticks in services.log", func() bool { return ticks(filepath.Join(d.home, "services.log")) > 5 })
}

// TestUpgradeCorruptState: a cfkd started with CFKD_UPGRADE_STATE naming
// a corrupt (or missing) state refuses to start, saying why, exit status
// 1; `cfkd --check-upgrade` says it too, exit status 3.
func TestUpgradeCorruptState(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "state")
	if err := os.WriteFile(bad, []byte(`{"version": 1, "services": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{bad, filepath.Join(dir, "missing")} {
		home := filepath.Join(dir, "home")
		out, err := cfkdOutput(t, home, []string{"CFKD_UPGRADE_STATE=" + state})
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "cfkd: upgrade in place: upgrade state:") {
			t.Errorf("cfkd with the state %s: %v %q, want exit status 1 and why", state, err, out)
		}
		killHome(home)
	}
	// the new cfkd removed it once read (REFERENCE §13.2)
	if err := os.WriteFile(bad, []byte(`{"version": 1, "services": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cfkdBin, "--check-upgrade", bad)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 || !strings.Contains(string(out), "upgrade state:") {
		t.Errorf("cfkd --check-upgrade on a corrupt state: %v %q, want exit status 3 and why", err, out)
	}
}

// startDaemonBin is startDaemon running the cfkd at bin (on a fresh
// home), env (KEY=VALUE) added to its environment, which a cfkd it
// upgrades to inherits: the test-only variables of the failing build
// (daemon's adoptfault_on.go) are given so, not by t.Setenv, which would
// give them to every cfkd the tests run meanwhile, and forbids
// t.Parallel. Stopped at the end of the test as launchDaemon's are.
func startDaemonBin(t *testing.T, bin string, env ...string) *daemon {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command(bin, "--home", home)
	cmd.Env = env
	return runDaemonCmd(t, home, cmd, nil).acceptsOnHome()
}

// writeExecutable writes a program of the tests' (mode 0755) with no
// fork of this process under way: a child forked while the file was open
// for writing holds that fd until its exec, and an exec of the program
// meanwhile fails ETXTBSY ("text file busy"), which the tests run in
// parallel (TestMain) would hit now and then. Forks take syscall.ForkLock
// for writing.
func writeExecutable(name string, data []byte) error {
	return writeFileNoFork(name, data, 0o755)
}

// writeFileNoFork is os.WriteFile with no fork of this process under
// way (writeExecutable).
func writeFileNoFork(name string, data []byte, mode os.FileMode) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return os.WriteFile(name, data, mode)
}
