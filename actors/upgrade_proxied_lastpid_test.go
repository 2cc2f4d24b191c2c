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
	old.setAutoTerm()
	// b keeps the auto proxy up once a is down
	p, _ := old.runningUnderProxy([2]string{"a", "b"}, [2]int{710, 711})
	stopA := old.async("command stop service a")
	old.expectSeq("a", stopping)
	if got := p.command(); got != `{"command":"stop","name":"a"}` {
		t.Fatalf("command %q, want the stop of a", got)
	}
	p.stopped("a", 710, killedBy(syscall.SIGTERM))
	old.expectSeq("a", stopped)
	old.reply("stop a", stopA)
	// until the proxy asks nothing of a any more (it heard a is down)
	end := time.Now().Add(deadline)
	for {
		ex := old.export(false)
		if !slices.ContainsFunc(ex.Proxies[0].Services, func(s upgrade.ProxiedService) bool { return s.Name == "a" && !s.Gone }) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("proxy still asked to run a: %+v", ex.Proxies[0].Services)
		}
		time.Sleep(10 * time.Millisecond)
	}
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
