package actors

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
)

// entryOf is the first entry of c with message msg, nil if none.
func (c *logCapture) entryOf(msg string) *logrus.Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.Message == msg {
			return e
		}
	}
	return nil
}

// REFERENCE §4.4, §6.4, §13.2: the lines a proxy forwards for a name
// after it reported the exit of its process (written before the exit,
// read after) are that process's: logged as its service's, with its pid,
// and kept in its tail, the proxy's record of the name's last pid
// (proxiedName.lastPid) kept for them once its service is down. That
// record did not cross an upgrade in place: the new cfkd logged such a
// line as the proxy's own (`for service 'a', not started under this
// proxy: ...`), out of a's log and tail. The state carries it
// (ProxiedService.LastPid, a name asked nothing any more with Gone), and
// the new cfkd carries it again at its own upgrade.
func TestUpgradeKeepsAProxiedNamesLastPid(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	p := old.aStoppedUnderProxy([2]int{710, 711})
	ex := old.exportSettled(true)
	logs := &logCapture{changed: make(chan struct{})}
	nw := adoptProxied(t, ex, &ex.Proxies[0], captureServiceLog(logs))
	p.log("out:a:last words")
	p.log("out:-:after the last words") // handled after it, in order
	logs.wait(t, "after the last words")
	e := logs.entryOf("last words")
	if e == nil {
		t.Fatalf("a's last line not logged as a's (%v)", logs.entryOf("for service 'a', not started under this proxy: last words") != nil)
	}
	if got, want := fieldsText(e), "info category=service.a.out service=a pid=710 proxy=p"; got != want {
		t.Errorf("a's last line logged as %q, want %q", got, want)
	}
	if got := strings.Join(nw.ok("command tail a"), "|"); got != "last words" {
		t.Errorf("tail of a %q, want its last line", got)
	}
	// and so at the new cfkd's own upgrade
	again := nw.export(false)
	i := slices.IndexFunc(again.Proxies[0].Services, func(s upgrade.ProxiedService) bool { return s.Name == "a" })
	if i < 0 || again.Proxies[0].Services[i].LastPid != 710 {
		t.Errorf("exported again %+v, want a with last pid 710", again.Proxies[0].Services)
	}
}

// aStoppedUnderProxy is stopAUnderProxy, then waits until the proxy
// asks nothing of a any more: the export has a Gone
// (ProxiedService.Gone), as once the proxy heard a is down.
func (r *rig) aStoppedUnderProxy(pids [2]int) *playedProxy {
	r.t.Helper()
	p := r.stopAUnderProxy(pids)
	end := time.Now().Add(deadline)
	for {
		ex := r.export(false)
		if slices.ContainsFunc(ex.Proxies[0].Services, func(s upgrade.ProxiedService) bool { return s.Name == "a" && s.Gone }) {
			return p
		}
		if time.Now().After(end) {
			r.t.Fatalf("a not gone from the proxy: %+v", ex.Proxies[0].Services)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopAUnderProxy runs a and b under the auto proxy p (their pids), b
// keeping it up, then stops a (`stop service a`) until a is stopped and
// the stop answered.
func (r *rig) stopAUnderProxy(pids [2]int) *playedProxy {
	r.t.Helper()
	r.setAutoTerm()
	p, _ := r.runningUnderProxy([2]string{"a", "b"}, pids)
	stopA := r.async("command stop service a")
	r.expectSeq("a", stopping)
	if got := p.command(); got != `{"command":"stop","name":"a"}` {
		r.t.Fatalf("command %q, want the stop of a", got)
	}
	p.stopped("a", pids[0], killedBy(syscall.SIGTERM))
	r.expectSeq("a", stopped)
	r.reply("stop a", stopA)
	return p
}
