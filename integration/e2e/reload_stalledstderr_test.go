package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadWithAStalledStderrGoesOn: a cfkd whose stderr is a full pipe
// whose reader hangs says on it what a SIGUSR1 refused, bounded as its
// other messages there (REFERENCE §7.3, §7.4): that message held the
// reloads' goroutine for ever, and every SIGUSR1 after it was left
// unhandled (a log file never reopened after logrotate's move, the token
// files never re-read again).
func TestReloadWithAStalledStderrGoesOn(t *testing.T) {
	t.Parallel()
	good := "cfkd = file:cfkd.log\n"
	home := newHome(t, good)
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home), fullPipe(t)).acceptsOnHome()
	conf := filepath.Join(home, "log.config")
	if err := os.WriteFile(conf, []byte("level = loud\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitLog(t, home, "log config not reloaded") // said in the log, then on stderr
	if err := os.WriteFile(conf, []byte(good+"services = file:services.log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "the second SIGUSR1's reload", func() bool {
		return strings.Count(readLog(home), "Reloading log config") == 2
	})
	c := d.dial()
	c.ok(`service e cmd=echo routed-by-the-second-reload`, "command start service e")
	waitFor(t, "the service's line in services.log, the second reload's", func() bool {
		b, _ := os.ReadFile(filepath.Join(home, "services.log"))
		return strings.Contains(string(b), "routed-by-the-second-reload")
	})
}

// TestFailingDestinationWithAStalledStderrGoesOn: a log destination
// whose writes fail (a full disk: /dev/full) is said on stderr, then
// among cfkd's events (REFERENCE §6.2); with a stderr that does not take
// it (a full pipe whose reader hangs), the message there waited for ever,
// holding that destination's writer: cfkd's log never said it, and the
// destination was never written again. Then it held that writer 1 s,
// the bound of the write to stderr; now it holds it nothing, the message
// queued for stderr (REFERENCE §7.4): measured by cfkd's own clock, from
// the service's start to the failure's record, logged after the message
// to stderr.
func TestFailingDestinationWithAStalledStderrGoesOn(t *testing.T) {
	home := newHome(t, "cfkd = file:cfkd.log\nservices = file:/dev/full\n")
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home), fullPipe(t)).acceptsOnHome()
	c := d.dial()
	c.ok(`service e cmd=echo lost-on-a-full-disk`, "command start service e")
	log := waitLog(t, home, "log destination fails: write /dev/full: no space left on device")
	started := recordTimes(t, log, "INFO cfkd - starting e service=e")
	failed := recordTimes(t, log, "log destination fails: write /dev/full")
	if len(started) != 1 || len(failed) != 1 {
		t.Fatalf("%d starts of e and %d failures logged:\n%s", len(started), len(failed), log)
	}
	held := failed[0].Sub(started[0])
	t.Logf("from e's start to the failure's record: %v", held)
	if held >= 500*time.Millisecond {
		t.Errorf("the failure was logged %v after e's start: its message to a stalled stderr held the destination's writer", held)
	}
}

// TestReloadWithAStalledStderrReturnsAtOnce: a SIGUSR1's refusal said on
// a stderr that does not take it (a full pipe whose reader hangs) holds
// the reload nothing (REFERENCE §7.3, §7.4): the message is queued for
// stderr, and the reload goes on at once to the token files. It held it
// 1 s, the bound of the write to stderr then. Measured by cfkd's own
// clock: its record of the refusal, logged before the message to stderr,
// and that of the token files read again, after it.
func TestReloadWithAStalledStderrReturnsAtOnce(t *testing.T) {
	home := newHome(t, "cfkd = file:cfkd.log\n")
	server := tokenFile(t, t.TempDir(), "tokens", os.Getuid(), "admin "+fmt.Sprintf("admin-%d-0123456789abcdef", time.Now().UnixNano()))
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home, "-a", addr, "--admin-token", server), fullPipe(t))
	d.waitAccept("tcp", addr)
	if err := os.WriteFile(filepath.Join(home, "log.config"), []byte("level = loud\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the first message meets the stalled stderr; the second, a queue
		d.cmd.Process.Signal(syscall.SIGUSR1)
		waitFor(t, "the reload of the token files", func() bool {
			return strings.Count(readLog(home), "reloaded 1 tokens from") == i+1
		})
		log := readLog(home)
		refused := recordTimes(t, log, "log config not reloaded")
		reread := recordTimes(t, log, "reloaded 1 tokens from")
		if len(refused) != i+1 || len(reread) != i+1 {
			t.Fatalf("reload %d: %d refusals and %d token reloads logged:\n%s", i+1, len(refused), len(reread), log)
		}
		held := reread[i].Sub(refused[i])
		t.Logf("reload %d: held %v", i+1, held)
		if held >= 500*time.Millisecond {
			t.Errorf("reload %d: its message to a stalled stderr held it %v", i+1, held)
		}
	}
}

// recordTimes returns the times of the records of log that hold msg.
func recordTimes(t *testing.T, log, msg string) []time.Time {
	t.Helper()
	var times []time.Time
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, msg) {
			continue
		}
		ts, _, _ := strings.Cut(l, " ")
		at, err := time.Parse("2006-01-02T15:04:05.000Z07:00", ts)
		if err != nil {
			t.Fatalf("record %q: %v", l, err)
		}
		times = append(times, at)
	}
	return times
}
