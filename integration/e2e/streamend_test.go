package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// How a stream ends when its cfkd goes (REFERENCE §1.5): a shutdown ends
// `cfkctl events` and `cfkctl tail -f` with success, after the events of
// the services brought down; a cfkd killed (kill -9) ends them with
// failure and a word on stderr. Both ended with exit 0 and nothing said:
// a log shipper could not tell a clean end from a lost cfkd.

// shutdownEnd is the last line of a stream a shutdown ended (its "\r"
// left, newStream cuts the "\n" alone).
const shutdownEnd = `{"kind":"end","reason":"cfkd is shutting down","done":true}` + "\r"

// waitCtl waits, within the deadline, for the cfkctl of s to exit, and
// returns its exit status. At the deadline it is killed (ctlStream's
// cleanup reaps it) and the test fails.
func waitCtl(t *testing.T, s *stream) int {
	t.Helper()
	s.waitEnd()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatalf("cfkctl: %v", err)
		}
		return 0
	case <-time.After(deadline):
		s.cmd.Process.Kill()
		<-done
		t.Fatalf("cfkctl did not exit after its stream ended: %s", s.err.String())
		return -1
	}
}

// streamsOnAService opens `cfkctl events`, `cfkctl tail -f hi` and a
// raw `command events` on d, and returns them once each is seen to
// follow: the service hi (it echoes a line and exits cleanly: no process
// is left to kill) is started, and its line and transitions come.
func streamsOnAService(t *testing.T, d *daemon) (ev, tail, raw *stream) {
	t.Helper()
	c := d.dial()
	c.ok("service hi cmd=echo hi", "service hi oneshot=true")
	ev = d.ctlStream("events")
	raw = d.rawStream("command events")
	// nothing acknowledges a stream: start hi until both saw it start
	stopped := func(l []string) bool {
		return slices.ContainsFunc(l, func(x string) bool {
			return strings.Contains(x, `"to":"stopped"`) || strings.Contains(x, "→ stopped")
		})
	}
	for end := time.Now().Add(deadline); ; {
		c.ok("command start service hi")
		c.until("hi stopped", func() bool {
			s := c.status("hi")
			return len(s) > 1 && s[1] == "stopped"
		})
		ev.mu.Lock()
		evl := slices.Clone(ev.lines)
		ev.mu.Unlock()
		raw.mu.Lock()
		rawl := slices.Clone(raw.lines)
		raw.mu.Unlock()
		if stopped(evl) && stopped(rawl) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the streams did not see hi: %q %q", evl, rawl)
		}
	}
	tail = d.ctlStream("tail", "-f", "-n", "1", "hi")
	tail.waitFor("hi's last line", func(l []string) bool { return len(l) == 1 && l[0] == "hi" })
	return ev, tail, raw
}

// TestStreamsEndAtShutdown: `cfkctl shutdown` ends cfkctl events and
// tail -f with exit 0, nothing on stderr; the raw stream's last line is
// the end line of a shutdown.
func TestStreamsEndAtShutdown(t *testing.T) {
	d := startDaemon(t, "")
	ev, tail, raw := streamsOnAService(t, d)
	if _, errs, code := d.ctl("", "shutdown"); code != 0 {
		t.Fatalf("cfkctl shutdown: exit %d: %s", code, errs)
	}
	if code := waitCtl(t, ev); code != 0 || ev.err.String() != "" {
		t.Errorf("cfkctl events at a shutdown: exit %d, stderr %q; want 0 and nothing", code, ev.err.String())
	}
	if code := waitCtl(t, tail); code != 0 || tail.err.String() != "" {
		t.Errorf("cfkctl tail -f at a shutdown: exit %d, stderr %q; want 0 and nothing", code, tail.err.String())
	}
	if l := raw.waitEnd(); len(l) == 0 || l[len(l)-1] != shutdownEnd {
		t.Errorf("the raw stream at a shutdown ends with %q; want the line %q", l, shutdownEnd)
	}
	if err := d.waitExit(); err != nil {
		t.Errorf("cfkd: %v", err)
	}
}

// TestStreamsEndAtSIGTERM: SIGTERM shuts down as cfkctl shutdown does.
func TestStreamsEndAtSIGTERM(t *testing.T) {
	d := startDaemon(t, "")
	ev, tail, _ := streamsOnAService(t, d)
	d.stop() // SIGTERM, and the check that nothing was left behind
	if code := waitCtl(t, ev); code != 0 || ev.err.String() != "" {
		t.Errorf("cfkctl events at SIGTERM: exit %d, stderr %q; want 0 and nothing", code, ev.err.String())
	}
	if code := waitCtl(t, tail); code != 0 || tail.err.String() != "" {
		t.Errorf("cfkctl tail -f at SIGTERM: exit %d, stderr %q; want 0 and nothing", code, tail.err.String())
	}
}

// TestStreamsEndAtKill: a cfkd killed (kill -9) ends cfkctl events and
// tail -f with exit 1 and the word that it was lost; the raw stream ends
// with no end line.
func TestStreamsEndAtKill(t *testing.T) {
	d := startDaemon(t, "")
	ev, tail, raw := streamsOnAService(t, d)
	d.cmd.Process.Kill()
	d.waitExit()
	killHome(d.home) // nothing should be left (hi exited), but a killed cfkd cleans up nothing
	lost := "the connection to cfkd was lost without a shutdown (cfkd crashed or was killed?)\n"
	if code := waitCtl(t, ev); code != 1 || ev.err.String() != "cfkctl: events: "+lost {
		t.Errorf("cfkctl events, cfkd killed: exit %d, stderr %q; want 1 and %q", code, ev.err.String(), "cfkctl: events: "+lost)
	}
	if code := waitCtl(t, tail); code != 1 || tail.err.String() != "cfkctl: tail: "+lost {
		t.Errorf("cfkctl tail -f, cfkd killed: exit %d, stderr %q; want 1 and %q", code, tail.err.String(), "cfkctl: tail: "+lost)
	}
	if l := raw.waitEnd(); len(l) > 0 && strings.HasSuffix(l[len(l)-1], "\r") {
		t.Errorf("the raw stream of a killed cfkd ends with %q", l[len(l)-1])
	}
}
