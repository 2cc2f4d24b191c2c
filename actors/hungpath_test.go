package actors

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/nss"
	"github.com/cfk/cfk/messages"
)

// hungEnvFile makes the reads of the env_file at path block, as the
// open of a file on a hung NFS or FUSE mount does: o is the rig's option
// that does so. release (also a cleanup of t) writes content to path,
// then lets the blocked reads go on (they read it).
func hungEnvFile(t *testing.T, path, content string) (o func(*Options), release func()) {
	t.Helper()
	hung := make(chan struct{})
	once := sync.Once{}
	release = func() {
		once.Do(func() {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Error(err)
			}
			close(hung)
		})
	}
	t.Cleanup(release)
	o = func(o *Options) {
		o.readEnvFile = func(name, cwd string, uid int) ([]messages.EnvVar, error) {
			if name == path {
				<-hung
			}
			return readEnvFile(name, cwd, uid)
		}
	}
	return o, release
}

// An env_file on a hung mount (its open never returns) left the service
// `starting` for ever with no reason, its start and a stop unanswered
// (REFERENCE §2.4). Its read now waits PathTimeout at most: the start is
// answered `cannot start now: env_file PATH did not answer within ...`,
// cfkd's trouble as a name service that does not answer (§2.1): backoff,
// retried every second past respawn_max_retries, never fatal; the
// retries wait for the read in flight rather than starting another; a
// stop is answered. Once the mount answers, a start reads the file anew.
func TestEnvFileOnAHungMount(t *testing.T) {
	t.Parallel()
	env := filepath.Join(t.TempDir(), "app.env")
	hang, release := hungEnvFile(t, env, "A=1\n")
	flights := &nss.Flights{FailFast: true}
	logs := &logCapture{changed: make(chan struct{})}
	// PathTimeout bounds the read that answers too (the last start's):
	// 1 s, not 50 ms, which a loaded machine under -race can take
	r := newRig(t, captureLog(logs), everyShortageLogged, hang, func(o *Options) {
		o.PathTimeout = time.Second
		o.paths = flights
	})
	r.ok("service s cmd=sleep 100", "service s env_file="+env, "service s respawn_max_retries=1", "service s startwait_secs=0.02")
	rep := r.reply("start", r.async("command start service s"))
	want := "Service 's' cannot start now: env_file " + env + " did not answer within 1s"
	if rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start: %v, want %s", rep.Err, want)
	}
	logs.waitCount(t, "s: env_file "+env+" did not answer within 1s; retrying in 1s (not counted as a failed start)", 3)
	info := r.info("service s")
	if len(info) != 1 || (info[0].State != messages.Backoff && info[0].State != starting) || !strings.Contains(info[0].LastError, "env_file "+env+" did not answer") {
		t.Fatalf("inspect: %+v, want backoff (or a retry starting) with the read's reason", info)
	}
	if n := flights.InFlight(); n != 1 {
		t.Fatalf("%d reads in flight, want 1: the retries wait for the one in flight", n)
	}
	r.fake.expectNoLaunch(t, 1, 0)
	// a stop is answered (within PathTimeout, if a retry reads)
	r.ok("command stop service s")
	if st := r.status("s"); st[1] != "stopped" {
		t.Fatalf("status %q, want stopped", st)
	}
	// the mount answers: the late answer (empty) is dropped once no
	// start waits for it, and the next start reads the file anew
	release()
	// (a start while the blocked read ends would share its late answer)
	for end := time.Now().Add(deadline); flights.InFlight() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the read still in flight %v after the mount answered", deadline)
		}
	}
	r.okDone("command start service s", 1)
	l := r.fake.waitLaunch(t, 1)
	if !slices.Contains(l.Spec.Env, "A=1") {
		t.Fatalf("env %q, want A=1 from the env_file", l.Spec.Env)
	}
}

// A restart's check reads the env_file as the launch does: on a hung
// mount it was never answered; it is now refused after PathTimeout,
// naming the file, and the running process is kept (REFERENCE §2.7).
func TestRestartCheckOfAnEnvFileOnAHungMount(t *testing.T) {
	t.Parallel()
	env := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(env, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var hung atomic.Bool
	hang, _ := hungEnvFile(t, env, "A=1\n")
	// PathTimeout bounds the start's read that answers too: 1 s
	r := newRig(t, hang, func(o *Options) {
		o.PathTimeout = time.Second
		read := o.readEnvFile
		o.readEnvFile = func(name, cwd string, uid int) ([]messages.EnvVar, error) {
			if hung.Load() {
				return read(name, cwd, uid)
			}
			return readEnvFile(name, cwd, uid)
		}
	})
	r.setAutoTerm()
	pid := r.startRunning("s", "env_file="+env)
	hung.Store(true)
	rep := r.reply("restart", r.async("command restart service s"))
	if want := "Service 's' cannot start: env_file " + env + " did not answer within 1s"; rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("restart: %v, want %s", rep.Err, want)
	}
	if sigs := r.fake.signalsTo(pid); len(sigs) != 0 {
		t.Fatalf("the running process got %v for a restart its check refused", sigs)
	}
	if st := r.status("s"); st[1] != "running" {
		t.Fatalf("status %q, want s still running", st)
	}
}

// A launch whose cwd or program is on a hung mount fails in osproc's
// Launch with an *nss.TimeoutError (osproc's PathTimeout); it was a
// failed start, counted, and fatal after respawn_max_retries: it is
// cfkd's trouble, as an env_file read that does not answer, retried and
// never counted (REFERENCE §2.1).
func TestLaunchOnAHungPathIsNotCounted(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs), everyShortageLogged)
	hung := &nss.TimeoutError{Lookup: "cwd /mnt/x", After: 5 * time.Second}
	for range 3 {
		r.fake.failNextLaunch(hung)
	}
	r.ok("service s cmd=sleep 100", "service s respawn_max_retries=1", "service s startwait_secs=0.02")
	r.fails("command start service s", "Service 's' cannot start now: cwd /mnt/x did not answer within 5s")
	logs.waitCount(t, "s: cwd /mnt/x did not answer within 5s; retrying in 1s (not counted as a failed start)", 3)
	r.fake.waitLaunch(t, 1)
	r.expectSeq("s", messages.Backoff, starting, running)
}
