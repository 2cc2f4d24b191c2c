package actors

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
)

// REFERENCE §13.2: a start of a service that reaches its proxy once the
// proxy is frozen (its actor sends it between the proxy's freeze and its
// own: a retry of its backoff) is carried by the state (Proxy.Requests)
// and sent by the new cfkd. The restore sent it only for a name the
// proxy was asked to run at the export: a name it asks nothing of any
// more (its service down, ProxiedService.Gone, or never started under
// it) had its start dropped, and the service, waiting for a pid that
// never came, failed its start once the proxy said it had no start of it
// under way (startwait and killwait later).
func TestUpgradeSendsAStashedStartOfANameGone(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	p := old.aStoppedUnderProxy([2]int{720, 721})
	ex := old.exportSettled(true)
	i := slices.IndexFunc(ex.Services, func(s upgrade.Service) bool { return s.Config.Name == "a" })
	a := ex.Services[i]
	// what a's actor sends for its next start, through the controller:
	// the proxy, frozen, keeps it for the second export
	old.tree.System.Root.Send(old.tree.Controller, toProxy{proxy: "p", msg: proxyStartRequest{
		svc: old.servicePID("a"), cfg: a.Config, attempt: a.Lifecycle.Attempt + 1, decl: a.Decl}})
	ex = old.export(true)
	if !slices.ContainsFunc(ex.Proxies[0].Requests, func(r upgrade.ProxyRequest) bool { return r.Kind == "start" && r.Name == "a" }) {
		t.Fatalf("the second export carries no start of a: %+v", ex.Proxies[0].Requests)
	}
	adoptProxied(t, ex, &ex.Proxies[0])
	if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"a"`) {
		t.Fatalf("command %q, want the start of a", got)
	}
}

// The same of a proxy that is down at the freeze (an auto proxy none of
// whose services is up): a start that reached it then is carried, and
// the new cfkd launches the proxy and sends it. The restore of a proxy
// down returned before the requests, and dropped it.
func TestUpgradeSendsAStashedStartToAProxyDown(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.declareProxied(nil, "a")
	ex := old.exportSettled(true)
	if len(ex.Proxies) != 1 || ex.Proxies[0].Running {
		t.Fatalf("proxies exported %+v, want p down", ex.Proxies)
	}
	a := ex.Services[slices.IndexFunc(ex.Services, func(s upgrade.Service) bool { return s.Config.Name == "a" })]
	old.tree.System.Root.Send(old.tree.Controller, toProxy{proxy: "p", msg: proxyStartRequest{
		svc: old.servicePID("a"), cfg: a.Config, attempt: a.Lifecycle.Attempt + 1, decl: a.Decl}})
	ex = old.export(true)
	if !slices.ContainsFunc(ex.Proxies[0].Requests, func(r upgrade.ProxyRequest) bool { return r.Kind == "start" && r.Name == "a" }) {
		t.Fatalf("the second export carries no start of a: %+v", ex.Proxies[0].Requests)
	}
	nw := newRig(t)
	proxies := nw.playProxies()
	st := &upgrade.State{Services: ex.Services, Proxies: ex.Proxies}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st, Files: map[int]*os.File{}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	p := nextProxy(t, proxies)
	if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"a"`) {
		t.Fatalf("command %q, want the start of a", got)
	}
}

// REFERENCE §13.2: the requests carried are played back in the order
// the services sent them. A service whose backoff retry fires with a
// stop already in its mailbox sends its start, then its stop, both
// after the proxy froze; the restore sent the start through the
// controller and handled the stop at once, so the proxy was written the
// stop, then the start, and ran the service whose stop came last.
func TestUpgradeReplaysAStashedStartAndStopInOrder(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	p := old.stopAUnderProxy([2]int{730, 731})
	ex := old.exportSettled(true)
	a := ex.Services[slices.IndexFunc(ex.Services, func(s upgrade.Service) bool { return s.Config.Name == "a" })]
	// a's start, then its stop, then b's stop (the mark: whatever the
	// proxy is written of a before it comes from the carried requests)
	send := func(msg any) { old.tree.System.Root.Send(old.tree.Controller, toProxy{proxy: "p", msg: msg}) }
	send(proxyStartRequest{svc: old.servicePID("a"), cfg: a.Config, attempt: a.Lifecycle.Attempt + 1, decl: a.Decl})
	send(proxyStopRequest{name: "a", svc: old.servicePID("a"), attempt: a.Lifecycle.Attempt + 1})
	send(proxyStopRequest{name: "b", svc: old.servicePID("b"), attempt: 1})
	ex = old.export(true)
	var kinds []string
	for _, r := range ex.Proxies[0].Requests {
		kinds = append(kinds, r.Kind+" "+r.Name)
	}
	if want := []string{"start a", "stop a", "stop b"}; !slices.Equal(kinds, want) {
		t.Fatalf("the second export carries %v, want %v", kinds, want)
	}
	adoptProxied(t, ex, &ex.Proxies[0])
	var ofA []string
	for {
		got := p.command()
		if got == `{"command":"stop","name":"b"}` {
			break
		}
		switch {
		case strings.HasPrefix(got, `{"command":"start","name":"a"`):
			ofA = append(ofA, "start")
		case got == `{"command":"stop","name":"a"}`:
			ofA = append(ofA, "stop")
		default:
			t.Fatalf("command %q, want one of a or the stop of b", got)
		}
	}
	// its start taken back by the stop before it was written, or written
	// then stopped: never stopped first
	if len(ofA) != 0 && !slices.Equal(ofA, []string{"start", "stop"}) {
		t.Fatalf("the proxy was written %v of a, want its start then its stop (or neither)", ofA)
	}
}

// REFERENCE §4.5, §13.2: a service's word that it is down, sent to its
// proxy once the proxy was frozen (its start failed by its own timer:
// to backoff), keeps its retry's time across the upgrade, and the auto
// proxy is held up for that retry in the new cfkd. The state carried no
// retry: the down played back as one for good, and the proxy, with none
// of its services up, was shut down at once, to be launched again for
// the retry.
func TestUpgradeKeepsTheHoldOfAStashedDown(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.setAutoTerm()
	proxies := old.playProxies()
	old.declareProxied(nil, "s")
	old.okDone("command start service s", 1)
	old.expectSeq("s", starting)
	p := nextProxy(t, proxies)
	old.startProxied(p, "s", 740)
	old.exportSettled(true)
	retry := time.Now().Add(5 * time.Second)
	old.tree.System.Root.Send(old.tree.Controller, toProxy{proxy: "p", msg: proxiedServiceDown{name: "s", retry: retry}})
	ex := old.export(true)
	if rs := ex.Proxies[0].Requests; len(rs) != 1 || rs[0].Kind != "down" || rs[0].Retry != retry.UnixNano() {
		t.Fatalf("the second export carries %+v, want the down of s with its retry", rs)
	}
	nw := adoptProxied(t, ex, &ex.Proxies[0], func(o *Options) { o.ProxyHoldGrace = 0 })
	// held until the retry, then it ends (none of its services is up)
	if window := time.Until(retry) - 500*time.Millisecond; window > 0 {
		nw.fake.expectNoSignal(t, p.pid, syscall.SIGTERM, window)
	} else {
		t.Fatalf("the adoption took until %v before the retry: too slow to tell", -window)
	}
	nw.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	if time.Now().Before(retry) {
		t.Fatalf("proxy ended %v before the retry of s", time.Until(retry))
	}
}

// REFERENCE §13.2: the requests carried are played back before any a
// service sends once the new cfkd runs. The restore handed a carried
// stop or down back to the controller to send (2ec9663), so a start
// that the controller forwarded meanwhile (a service in backoff whose
// retry came due during the upgrade, restored before its proxy) reached
// the proxy first: the down that came after it took that start for one
// the service gave up, and its process was killed as nobody's
// (`started 'a' (pid 732) for a start the service gave up: killing
// it`), its service never told its pid.
func TestUpgradeReplaysAStashedDownBeforeALaterStart(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	p := old.stopAUnderProxy([2]int{730, 731}) // b keeps the auto proxy up
	ex := old.exportSettled(true)
	a := ex.Services[slices.IndexFunc(ex.Services, func(s upgrade.Service) bool { return s.Config.Name == "a" })]
	old.tree.System.Root.Send(old.tree.Controller, toProxy{proxy: "p", msg: proxiedServiceDown{name: "a", retry: time.Now()}})
	ex = old.export(true)
	if rs := ex.Proxies[0].Requests; len(rs) != 1 || rs[0].Kind != "down" || rs[0].Name != "a" {
		t.Fatalf("the second export carries %+v, want the down of a", rs)
	}
	nw, files := adoptingRig(t, &ex.Proxies[0])
	// a's retry: its start, sent to the controller right behind the
	// restore (the service's actor stands in a recorder)
	started := make(chan proxyServiceStarted, 1)
	svc := nw.tree.System.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(proxyServiceStarted); ok {
			started <- m
		}
	}))
	root := nw.tree.System.Root
	restored := root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services, Proxies: ex.Proxies}, Files: files}, deadline)
	root.Send(nw.tree.Controller, toProxy{proxy: "p", msg: proxyStartRequest{svc: svc, cfg: a.Config, attempt: a.Lifecycle.Attempt + 1, decl: a.Decl}})
	if _, err := restored.Result(); err != nil {
		t.Fatal(err)
	}
	if got := p.command(); !strings.HasPrefix(got, `{"command":"start","name":"a"`) {
		t.Fatalf("command %q, want the start of a", got)
	}
	p.started("a", 732)
	select {
	case m := <-started:
		if m.pid != 732 || m.attempt != a.Lifecycle.Attempt+1 {
			t.Fatalf("a told %+v, want pid 732 of attempt %d", m, a.Lifecycle.Attempt+1)
		}
	case <-time.After(deadline):
		t.Fatalf("a was never told the pid of its start: the carried down came after it")
	}
}

// REFERENCE §2.4, §13.2: a carried start keeps the environment its
// service sent it with: the variables of its env_file, read at the start
// (startProxied puts them before add_env's in the start's env). The
// replay built the start from the service's declaration alone, so the
// process the new cfkd had the proxy start lacked every variable of its
// env_file.
func TestUpgradeReplaysAStashedStartWithItsEnvFile(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.declareProxied(nil, "a")
	old.ok("proxy p service a add_env=FROM_DECL=1")
	ex := old.exportSettled(true)
	a := ex.Services[slices.IndexFunc(ex.Services, func(s upgrade.Service) bool { return s.Config.Name == "a" })]
	// what a's actor sends for a start whose env_file holds FROM_FILE=2
	// (Service.startProxied)
	cfg := a.Config
	cfg.Env = append([]messages.EnvVar{{Key: "FROM_FILE", Value: "2"}}, cfg.Env...)
	old.tree.System.Root.Send(old.tree.Controller, toProxy{proxy: "p", msg: proxyStartRequest{
		svc: old.servicePID("a"), cfg: cfg, attempt: a.Lifecycle.Attempt + 1, decl: a.Decl}})
	ex = old.export(true)
	nw := newRig(t)
	proxies := nw.playProxies()
	st := &upgrade.State{Services: ex.Services, Proxies: ex.Proxies}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st, Files: map[int]*os.File{}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	p := nextProxy(t, proxies)
	got := p.command()
	if !strings.HasPrefix(got, `{"command":"start","name":"a"`) {
		t.Fatalf("command %q, want the start of a", got)
	}
	if !strings.Contains(got, `"FROM_FILE":"2"`) || !strings.Contains(got, `"FROM_DECL":"1"`) {
		t.Fatalf("the start of a %q, want its env_file's FROM_FILE=2 and its add_env's FROM_DECL=1", got)
	}
}
