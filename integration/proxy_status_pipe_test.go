package integration

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// REFERENCE §4.5: a proxy that closes its status pipe and runs on is
// shut down, and its service fails saying why, at once: it stayed
// `starting` for the proxy's 30 s loading grace, then failed with `proxy
// did not report the pid`, the proxy left running, and every later start
// waited as long.
func TestProxyThatClosesItsStatusPipe(t *testing.T) {
	h, hook, ppid := proxyScript(t, `eval "exec $_CFK_STATUS_FD>&-"`+"\nexec sleep 100\n")
	h.ok("command start service a")
	h.poll("proxy px up", func() bool {
		*ppid = h.proxyPid("px")
		return *ppid != 0
	})
	ev := h.expectSeq("a", messages.Starting, messages.Fail)
	if ev[1].Reason != "proxy closed its status pipe" {
		t.Errorf("a failed with %q", ev[1].Reason)
	}
	if took := ev[1].At.Sub(ev[0].At); took > 5*time.Second {
		t.Errorf("a failed %v after its start", took)
	}
	h.waitGone(*ppid)
	said := false
	for _, e := range hook.AllEntries() {
		said = said || e.Level == logrus.ErrorLevel && e.Message == "proxy 'px' closed its status pipe while it runs: it can report no pid and no exit any more: shutting it down"
	}
	if !said {
		t.Errorf("the closed pipe not said")
	}
}

// REFERENCE §4.5: a proxy that closes its log pipe and runs on is shut
// down, said once with its name, and its service fails saying why: it
// ran on, nothing said, its output lost, `running` and the proxy `up`,
// and every upgrade in place was refused for ever (`proxy 'px' is ending
// (it closed its log pipe)`).
func TestProxyThatClosesItsLogPipe(t *testing.T) {
	h, hook, ppid := proxyScript(t, `read -r line <&"$_CFK_COMMAND_FD"
eval "sleep 100 $_CFK_LOG_FD>&- &"
pid=$!
printf '{"status":"started","name":"a","pid":%d}\n' "$pid" >&"$_CFK_STATUS_FD"
eval "exec $_CFK_LOG_FD>&-"
exec sleep 100
`)
	h.ok("command start service a")
	h.poll("proxy px up", func() bool {
		*ppid = h.proxyPid("px")
		return *ppid != 0
	})
	ev := h.expectSeq("a", messages.Starting, messages.Running, messages.Fail)
	if ev[2].Reason != "proxy closed its log pipe" {
		t.Errorf("a failed with %q", ev[2].Reason)
	}
	if took := ev[2].At.Sub(ev[1].At); took > 5*time.Second {
		t.Errorf("a failed %v after it ran", took)
	}
	h.waitGone(*ppid)
	said := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.ErrorLevel && e.Message == "proxy 'px' closed its log pipe while it runs: its services' output and its own would be lost: shutting it down" {
			said++
		}
	}
	if said != 1 {
		t.Errorf("the closed log pipe said %d times, want once", said)
	}
}
