package e2e

import (
	"github.com/cfk/cfk/internal/testkit"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// REFERENCE §7.3: HUP, INT and TERM are a shutdown, then exit 0; §7.4:
// exit status 1 is for a cfkd that cannot start, and `cfkd: FILE:LINE:
// MESSAGE` names a config line that failed. The signals are relayed
// before -c FILE is loaded (so that they are not lost), but a TERM that
// comes while a line of FILE waits (a `command start` of a service whose
// requirement is slow to run) makes that line fail with the shutdown's
// consequence, and cfkd exits 1 blaming the config: `cfkd: FILE:6:
// Service 'app' cannot start: requires 'db': Service 'db' did not come
// back up: stopped`, logged as `config file refused`. `systemctl stop`
// during a slow start thus leaves the unit failed, with a bogus error.
func TestTermWhileLoadingConfigIsAShutdown(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	text := "service db cmd=sleep 1000\nservice db startwait_secs=30\n" +
		"service app cmd=sleep 1000\nservice app requires=db\nservice app startwait_secs=0\n" +
		"command start service app\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	d := launchDaemon(t, home, "-c", conf)
	// wait until the config's start is under way: db's process runs
	end := time.Now().Add(deadline)
	dbRuns := func() bool {
		for _, pid := range homeProcs(home) {
			if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline")); string(b) == "sleep\x001000\x00" {
				return true
			}
		}
		return false
	}
	for !dbRuns() {
		select {
		case <-d.exited:
			t.Fatalf("cfkd exited at start: %v\n%s", d.err, d.stderr.String())
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("db never started\n%s", d.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	err := d.waitExit()
	if err != nil || strings.Contains(d.stderr.String(), conf) {
		t.Fatalf("cfkd after a TERM while loading its config: exit %v, stderr:\n%s", err, d.stderr.String())
	}
	checkLastRecord(t, home)
}

// exitingRecord is the last record of every shutdown of cfkd's (REFERENCE
// §7.4, §6.3).
const exitingRecord = " INFO cfkd - cfkd exiting"

// checkLastRecord checks that the last record of home's cfkd.log is
// exitingRecord: a shutdown asked while -c FILE loaded ended without it,
// on `shut down by a signal while loading FILE`.
func checkLastRecord(t *testing.T, home string) {
	t.Helper()
	log := strings.TrimSuffix(readLog(home), "\n")
	if last := log[strings.LastIndexByte(log, '\n')+1:]; !strings.HasSuffix(last, exitingRecord) {
		t.Errorf("the last record of cfkd.log is %q, want one ending %q:\n%s", last, exitingRecord, log)
	}
}

// TestShutdownEndsWithCfkdExiting: a shutdown once -c FILE loaded ends
// its log with the line a shutdown while it loads ends it with
// (checkLastRecord, above and in TestTermWhileWaitingForTheConfigFile).
func TestShutdownEndsWithCfkdExiting(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	if err := os.WriteFile(conf, []byte("service db cmd=sleep 1000\ncommand start service db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, home, "-c", conf)
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd after a TERM: exit %v, stderr:\n%s", err, d.stderr.String())
	}
	checkLastRecord(t, home)
}

// startAllConf is a config whose last line starts two services that
// require db, slow to run: the line waits for db, and a TERM meanwhile
// fails it for both, an OK reply with a NAME: MESSAGE line each (§1.4).
const startAllConf = "service db cmd=sleep 1000\nservice db startwait_secs=30\n" +
	"service app cmd=sleep 1000\nservice app requires=db\nservice app startwait_secs=0\n" +
	"service web cmd=sleep 1000\nservice web requires=db\nservice web startwait_secs=0\n" +
	"command start all\n"

// waitSleepRuns waits until a process of home runs `sleep 1000` (db, the
// first the config's start launches), or exited says cfkd is gone.
func waitSleepRuns(t *testing.T, home string, exited func() bool, out func() string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		for _, pid := range homeProcs(home) {
			if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline")); string(b) == "sleep\x001000\x00" {
				return
			}
		}
		if exited() {
			t.Fatalf("cfkd exited at start\n%s", out())
		}
		if time.Now().After(end) {
			t.Fatalf("db never started\n%s", out())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTermWhileLoadingStartAllIsAShutdown: the same TERM during a line
// that starts several services (REFERENCE §7.3): their failures, the
// shutdown's doing, were warned of as the file's (`cfkd: warning:
// FILE:9: app: Service 'app' cannot start: requires 'db': ...`), and
// cfkd logged `loaded FILE` and opened its console after its shutdown.
func TestTermWhileLoadingStartAllIsAShutdown(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	if err := os.WriteFile(conf, []byte(startAllConf), 0o600); err != nil {
		t.Fatal(err)
	}
	d := launchDaemon(t, home, "-c", conf)
	exited := func() bool {
		select {
		case <-d.exited:
			return true
		default:
			return false
		}
	}
	waitSleepRuns(t, home, exited, d.stderr.String)
	d.cmd.Process.Signal(syscall.SIGTERM)
	err := d.waitExit()
	if err != nil || strings.Contains(d.stderr.String(), conf) {
		t.Fatalf("cfkd after a TERM while loading its config: exit %v, stderr:\n%s", err, d.stderr.String())
	}
	log, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
	if strings.Contains(string(log), "loaded "+conf) {
		t.Errorf("cfkd shut down by a signal logged that it loaded its config:\n%s", log)
	}
	checkLastRecord(t, home)
}

// TestTermToDetachedWhileLoadingStartAll: the detached cfkd of `cfkd -d`
// gets that TERM (systemctl stop of a Type=forking unit still starting):
// its parent printed the shutdown's failures as the file's warnings,
// then `cfkd running in the background as pid N, console on ...` and
// exited 0, while that cfkd had shut down. It now says that the detached
// cfkd was shut down by a signal while it loaded FILE, and exits 1, as it
// does for a TERM sent to itself meanwhile (REFERENCE §7.3).
func TestTermToDetachedWhileLoadingStartAll(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "home")
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	if err := os.WriteFile(conf, []byte(startAllConf), 0o600); err != nil {
		t.Fatal(err)
	}
	var out testkit.Buffer
	cmd := exec.Command(cfkdBin, "--home", home, "-c", conf, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited, returned := make(chan error, 1), make(chan struct{})
	go func() { waited <- cmd.Wait(); close(returned) }()
	detached := 0
	t.Cleanup(func() {
		if detached > 0 {
			syscall.Kill(detached, syscall.SIGKILL)
		}
		killHome(home)
	})
	exited := func() bool {
		select {
		case <-returned:
			return true
		default:
			return false
		}
	}
	waitSleepRuns(t, home, exited, out.String)
	detached = readLockPid(t, home)
	syscall.Kill(detached, syscall.SIGTERM)
	var err error
	select {
	case err = <-waited:
	case <-time.After(deadline):
		cmd.Process.Kill()
		t.Fatalf("cfkd -d did not return\n%s", out.String())
	}
	want := "cfkd: the detached cfkd (pid " + strconv.Itoa(detached) + ") was shut down by a signal while it loaded " + conf
	if err == nil || strings.Contains(out.String(), "running in the background") || !strings.Contains(out.String(), want) ||
		strings.Contains(out.String(), "warning") {
		t.Fatalf("cfkd -d whose detached cfkd got a TERM while loading: exit %v, want 1 and %q, output:\n%s", err, want, out.String())
	}
	end := time.Now().Add(deadline)
	for syscall.Kill(detached, 0) == nil {
		if time.Now().After(end) {
			t.Fatalf("the detached cfkd %d runs on after its TERM", detached)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
