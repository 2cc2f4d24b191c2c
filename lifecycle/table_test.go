package lifecycle

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// reach brings a new sim to state st by the events that get there.
func reach(t *testing.T, st messages.State, proxied bool) *sim {
	p := testPolicy()
	if st == messages.Fatal {
		p.MaxRetries = 1
	}
	s := newSim(t, p, 1)
	s.proxied = proxied
	started := func() {
		s.request(Event{Kind: EvStart})
		s.report()
	}
	switch st {
	case messages.Stopped:
	case messages.Starting:
		started()
	case messages.Running:
		started()
		s.fire()
	case messages.Stopping:
		started()
		s.fire()
		s.request(Event{Kind: EvStop})
	case messages.Fail:
		started()
		s.fire()
		s.request(Event{Kind: EvStop})
		s.exit(signalled(9))
	case messages.Fatal, messages.Backoff:
		started()
		s.exit(exitStatus(1))
	}
	if s.l.State != st {
		t.Fatalf("reach %s: got %s", st, s.l.State)
	}
	return s
}

// currentEvent is ev's kind made current for s (not stale).
func currentEvent(s *sim, k EventKind) Event {
	ev := Event{Kind: k, Attempt: s.l.Attempt, Pid: s.l.Pid, Gen: s.l.Gen, Status: exitStatus(1), Err: errBoom}
	if k == EvPidReported {
		ev.Pid = 4242
	}
	if k == EvExtendTimeout {
		ev.Extend = 30 * time.Second
	}
	return ev
}

// TestEveryPair walks every (state, event) pair, direct and proxied: the
// invariants hold after it, and the same event made stale changes nothing.
func TestEveryPair(t *testing.T) {
	for _, proxied := range []bool{false, true} {
		for _, st := range allStates {
			for k := EventKind(0); k < numEvents; k++ {
				t.Run(fmt.Sprintf("%s/%s/proxied=%v", st, k, proxied), func(t *testing.T) {
					if k == EvLaunched || k == EvLaunchFailed || k == EvChecked || k == EvLaunchCancelled {
						// only as the answer to a Launch: the property test
						// covers them; here, check they are stale otherwise.
						s := reach(t, st, proxied)
						before := s.l
						l, fx := Next(s.l, s.p, Input{Event: currentEvent(s, k), Now: s.now})
						if len(fx) != 0 || !reflect.DeepEqual(l, before) {
							t.Fatalf("a launch outcome nobody awaited changed the lifecycle: %v", fx)
						}
						return
					}
					s := reach(t, st, proxied)
					ev := currentEvent(s, k)
					if isRequest(k) {
						s.request(ev)
					} else {
						s.feed(ev)
					}
					// stale: an older generation, attempt and pid
					s2 := reach(t, st, proxied)
					stale := currentEvent(s2, k)
					stale.Gen--
					stale.Attempt--
					stale.Pid += 999
					if !isRequest(k) && k != EvPidReported && k != EvPidGivenUp && k != EvWatchdogPing && k != EvExtendTimeout && k != EvWatchdogTrigger { // those are never stale
						before := s2.l
						l, fx := Next(s2.l, s2.p, Input{Event: stale, Now: s2.now})
						if len(fx) != 0 || !reflect.DeepEqual(l, before) {
							t.Fatalf("stale %s changed the lifecycle: %v", k, fx)
						}
					}
				})
			}
		}
	}
}

func isRequest(k EventKind) bool {
	return k <= EvHalt || k == EvSignal || k == EvAwait || k == EvStopBeforePid || k == EvApplyRestart
}

// TestRandomSequences drives lifecycles with random events, then brings
// each down: no state outside the table, every request answered exactly
// once, every launched process reaped or killed, nothing left armed.
func TestRandomSequences(t *testing.T) {
	runs := 1500
	if testing.Short() {
		runs = 300
	}
	for seed := uint64(0); seed < uint64(runs); seed++ {
		p := testPolicy()
		r := newSim(t, p, seed).rng
		p.StartWait = time.Duration(r.IntN(3)) * 500 * time.Millisecond
		p.StopWait = time.Duration(r.IntN(3)) * time.Second
		p.RespawnOnFail = r.IntN(4) != 0
		p.RespawnOnStop = r.IntN(3) == 0
		p.MaxRetries = 1 + r.IntN(4)
		p.Ready = r.IntN(3) == 0
		p.ReadyTimeout = time.Duration(r.IntN(4)) * time.Second
		if r.IntN(4) == 0 {
			p.Watchdog = time.Duration(1+r.IntN(3)) * time.Second
		}
		if r.IntN(4) == 0 { // as the declaration refuses ready with it
			p.OneShot, p.Ready, p.Watchdog = true, false, 0
		}
		if r.IntN(4) == 0 {
			p.SuccessCodes = []int{3}
			p.StopSignal = syscall.SIGINT
		}
		s := newSim(t, p, seed)
		s.proxied = seed%3 == 0
		s.proxyMoving = r.IntN(4)
		s.proxySilent = r.IntN(5) == 0
		s.proxyLater = r.IntN(2) == 0
		s.async = seed%2 == 1 && !s.proxied // a proxied launch is answered at once (the request is sent)
		s.shortTries = r.IntN(4) == 0
		for range 80 {
			s.randomEvent()
		}
		s.drain()
	}
}

func (s *sim) randomEvent() {
	r := s.rng
	s.launchErr = nil
	if r.IntN(3) == 0 && s.settle() {
		return
	}
	switch r.IntN(21) {
	case 0:
		if r.IntN(4) == 0 {
			causes := []Cause{CauseConfig, CauseExec, CauseShortage, CauseCancelled, CauseProxyDown}
			c := causes[r.IntN(len(causes))]
			s.launchErr = func() (Cause, error) { return c, errBoom }
		}
		s.request(Event{Kind: EvStart})
	case 1:
		s.request(Event{Kind: EvUp, Rolling: r.IntN(2) == 0})
	case 2:
		s.request(Event{Kind: EvStop})
	case 3:
		s.request(Event{Kind: EvDown})
	case 4:
		s.checkErr = nil
		if r.IntN(4) == 0 {
			s.checkErr = errBoom
		}
		k := EvRestart
		if r.IntN(3) == 0 {
			k = EvApplyRestart
		}
		s.request(Event{Kind: k, Rolling: r.IntN(2) == 0})
	case 5, 6:
		s.fire()
	case 7, 8:
		statuses := []int{0, 1 << 8, 3 << 8, 9, 15, 6, 2}
		s.exit(syscall.WaitStatus(statuses[r.IntN(len(statuses))]))
	case 9:
		s.report()
	case 10:
		if s.l.Proxied { // the proxy takes its children along
			delete(s.alive, s.l.Pid)
			delete(s.alive, s.pending)
			s.pending = 0
			s.feed(Event{Kind: EvProxyGone, Attempt: s.l.Attempt})
		}
	case 11:
		if s.l.Proxied && s.l.Pid == 0 { // it made no process
			delete(s.alive, s.pending)
			s.pending = 0
			s.feed(Event{Kind: EvProxyRefused, Attempt: s.l.Attempt, Err: errBoom})
		}
	case 12: // stale events of every kind
		k := EventKind(6 + r.IntN(int(EvSignal)-6)) // every kind but the requests (from EvSignal on)
		s.feed(Event{Kind: k, Gen: s.l.Gen - 1 - uint64(r.IntN(3)), Attempt: s.l.Attempt - 1, Pid: s.l.Pid + 1 + r.IntN(5), Status: 9})
	case 13:
		s.now = s.now.Add(time.Duration(r.IntN(90)) * time.Second)
	case 14:
		s.feed(Event{Kind: EvReady, Attempt: s.l.Attempt - uint64(r.IntN(2))})
	case 15:
		s.request(Event{Kind: EvSignal, Sig: syscall.SIGHUP})
	case 16:
		s.feed(Event{Kind: EvWatchdogPing})
	case 17:
		s.request(Event{Kind: EvAwait})
	case 18:
		s.feed(Event{Kind: EvExtendTimeout, Extend: time.Duration(r.IntN(60)) * time.Second})
	case 19:
		s.feed(Event{Kind: EvWatchdogTrigger})
	case 20: // the proxy actor handled a stop (its line written)
		s.feed(Event{Kind: EvProxyStopHeard, Attempt: s.l.Attempt - uint64(r.IntN(2))})
	}
}

// drain halts the service and lets the world run until nothing is left:
// a process asked to stop exits (by SIGTERM, or SIGKILL once killed).
func (s *sim) drain() {
	s.t.Helper()
	req := s.request(Event{Kind: EvHalt})
	for i := 0; ; i++ {
		if i > 100 {
			s.t.Fatalf("halt did not bring the service down: %+v", s.l)
		}
		switch {
		case s.settle():
		case s.l.Pid != 0 && s.killed[s.l.Pid] && s.alive[s.l.Pid]:
			s.exit(signalled(15))
		case s.report():
		case s.fire():
		default:
			goto done
		}
	}
done:
	if s.l.State.IsUp() || s.l.State == messages.Backoff || s.l.Pid != 0 || s.l.Timer != TimerNone {
		s.t.Fatalf("not down after a halt: %+v", s.l)
	}
	if s.replies[req] != 1 {
		s.t.Fatalf("halt answered %d times", s.replies[req])
	}
	for r, n := range s.replies {
		if n != 1 {
			s.t.Fatalf("request %d answered %d times: %+v", r, n, s.l)
		}
	}
	for pid := range s.alive {
		if !s.killed[pid] && !s.reaped[pid] {
			s.t.Fatalf("process %d launched, never signalled nor reaped:\n%s", pid, strings.Join(s.history, "\n"))
		}
	}
	if len(s.l.Waiters) != 0 {
		s.t.Fatalf("waiters left: %+v", s.l.Waiters)
	}
}

var update = flag.Bool("update", false, "rewrite the lifecycle table in docs/REFERENCE.md")

// TestMarkdownInReference: docs/REFERENCE.md shows the table as the code
// has it. `go test ./lifecycle -run TestMarkdownInReference -update`
// rewrites it.
func TestMarkdownInReference(t *testing.T) {
	const path = "../docs/REFERENCE.md"
	const begin, end = "<!-- lifecycle table: begin (go test ./lifecycle -update) -->\n", "<!-- lifecycle table: end -->\n"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q markers", path, begin, end)
	}
	want := Markdown()
	if got := text[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(text[:i+len(begin)]+want+text[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("%s: the lifecycle table differs from the code's; run go test ./lifecycle -update", path)
	}
}
