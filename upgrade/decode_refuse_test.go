package upgrade

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// TestDecodeRefusesInconsistentStates checks that Decode (and so `cfkd
// --check-upgrade`, before the old cfkd freezes anything) refuses every
// state no cfkd writes and whose adoption would fail, hang or
// mis-supervise, saying what is wrong; and that each valid lifecycle
// state still decodes.
func TestDecodeRefusesInconsistentStates(t *testing.T) {
	svc := func(name string, lc lifecycle.Lifecycle) Service {
		return Service{Config: messages.NewServiceConfig(name), Lifecycle: lc}
	}
	running := func(p *Proxy, pid int) { p.Running, p.Pid, p.CmdFd, p.StatusFd, p.LogFd = true, pid, 10, 11, 12 }
	for name, tc := range map[string]struct {
		mutate func(s *State)
		want   string
	}{
		"socket named twice": {func(s *State) {
			s.Sockets = append(s.Sockets, Socket{Config: messages.SocketConfig{Name: "s"}, Fd: -1})
		}, `socket "s" named twice`},
		"requires closing a cycle": {func(s *State) {
			// no declaration makes one: a start and a shutdown hung on it
			a, b, c := svc("a", lifecycle.Lifecycle{}), svc("b", lifecycle.Lifecycle{}), svc("c", lifecycle.Lifecycle{})
			a.Config.Requires, b.Config.Requires, c.Config.Requires = []string{"b"}, []string{"c"}, []string{"a"}
			s.Services = []Service{a, b, c}
		}, "dependency cycle: a -> b -> c -> a"},
		"a service requiring itself": {func(s *State) {
			s.Services[0].Config.Requires = []string{s.Services[0].Config.Name}
		}, "dependency cycle: "},
		"a run's declaration of another service": {func(s *State) {
			other := messages.NewServiceConfig("other")
			s.Services[0].RunConfig = &other
		}, "its run's declaration is of service \"other\""},
		"socket without a name": {func(s *State) {
			s.Sockets = append(s.Sockets, Socket{Fd: -1})
		}, "a socket has no name"},
		"proxy named twice": {func(s *State) {
			s.Proxies = append(s.Proxies, Proxy{Config: messages.NewProxyConfig("p"), CmdFd: -1, StatusFd: -1, LogFd: -1})
		}, `proxy "p" named twice`},
		"two services, one pid": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Running, Pid: 77}),
				svc("b", lifecycle.Lifecycle{State: messages.Running, Pid: 77})}
		}, `pid 77 named twice: by service "a" and by service "b"`},
		"a service and a proxy, one pid": {func(s *State) {
			running(&s.Proxies[0], 77)
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Starting, Pid: 77})}
		}, `pid 77 named twice: by proxy "p" and by service "a"`},
		"an attempt about to wrap around": {func(s *State) {
			// its next launch would be attempt 0, taken for none awaited:
			// the process launched would run unsupervised
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Running, Pid: 77, Attempt: 1<<64 - 1})}
		}, `service "a": attempt 18446744073709551615, timer generation 0: no cfkd counts that far`},
		"a timer generation about to wrap around": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{Gen: 1 << 63})}
		}, "no cfkd counts that far"},
		"negative pid": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Running, Pid: -5})}
		}, `service "a": pid -5 is not a process`},
		// pid_t is 32 bits: kill(2) would cut this pid to -1, every
		// process cfkd's user may signal, at the service's stop
		"a pid past pid_t": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Running, Pid: 1<<32 - 1})}
		}, `service "a": pid 4294967295 is not a process`},
		"a proxy's pid past pid_t": {func(s *State) {
			running(&s.Proxies[0], 1<<32+1)
		}, `proxy "p": pid 4294967297 is not a process`},
		"a proxied start's pid past pid_t": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Pid: 1 << 33, Left: true}}}}
		}, `proxy "p": service "x": start 1: pid 8589934592 is not a process`},
		"a proxied service's pid past pid_t, of a state with no starts": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Up: true, Pid: 1<<32 - 1}}
		}, `proxy "p": service "x": pid 4294967295 is not a process`},
		"a negative proxied service's pid, of a state with no starts": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Up: true, Pid: -1}}
		}, `proxy "p": service "x": pid -1 is not a process`},
		// an fd is a 32-bit int to the kernel: 1<<32+5 would be fd 5
		"an fd past 32 bits": {func(s *State) {
			s.Lock = 1<<32 + 5
		}, "fd 4294967301 cannot cross"},
		"state out of range (below)": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: -1})}
		}, `service "a": state -1 is not a state of the lifecycle`},
		"state out of range (above)": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Backoff + 1})}
		}, "is not a state of the lifecycle"},
		"want out of range": {func(s *State) {
			s.Services[0].Lifecycle.Want = lifecycle.WantShutDown + 1
		}, "is not a want of the lifecycle"},
		"timer out of range": {func(s *State) {
			s.Services[0].Lifecycle.Timer = 200
		}, "timer 200 is not a timer of the lifecycle"},
		"a launch awaited across the exec": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Starting, Attempt: 1, Launching: 1})}
		}, `service "a" awaits the outcome of launch 1`},
		"waiters": {func(s *State) {
			s.Services[0].Lifecycle.Waiters = []lifecycle.Waiter{{Req: 1, Kind: lifecycle.WaitDown}}
		}, "1 waiting requests and 0 deferred events"},
		"deferred events": {func(s *State) {
			s.Services[0].Lifecycle.Deferred = []lifecycle.Event{{Kind: lifecycle.EvStop}}
		}, "0 waiting requests and 1 deferred events"},
		"running proxy with some of its pipes": {func(s *State) {
			running(&s.Proxies[0], 55)
			s.Proxies[0].LogFd = -1
		}, `proxy "p" runs with only some of its pipes`},
		"proxy down with pipes": {func(s *State) {
			s.Proxies[0].CmdFd = 10
		}, `proxy "p" is down but names pipes`},
		"a proxy's service named twice": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x"}, {Name: "x"}}
		}, `proxy "p": service "x": no name, or named twice`},
		"a proxied start after the service's current one": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Pid: 70}, {Attempt: 2, Left: true}}}}
		}, `proxy "p": service "x": start 1 is not given up, but a later start was sent`},
		"a proxied start with a negative pid": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Pid: -3, Left: true}}}}
		}, `proxy "p": service "x": start 1: pid -3 is not a process`},
		// the exit of a start given up ends the orphans of its service
		// started from its start line to the next one: these times
		// would take those of the service's later runs too
		"a proxied start given up with no time of the next one, sent": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Left: true, Sent: 5}, {Attempt: 2, Sent: 9}}}}
		}, `proxy "p": service "x": start 1: sent 5, next 0: the next start was sent at 9`},
		"a proxied start whose next one was sent after the next start": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Left: true, Sent: 5, Next: 12}, {Attempt: 2, Sent: 9}}}}
		}, `proxy "p": service "x": start 1: sent 5, next 12: the next start was sent at 9`},
		"a proxied start whose next one was sent before it": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Left: true, Sent: 9, Next: 5}}}}
		}, `proxy "p": service "x": start 1: sent 9, next 5: its next start was sent before it`},
		"a proxied service's pid of no start": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Up: true, Pid: 70, Starts: []ProxiedStart{}}}
		}, `proxy "p": service "x": pid 70 is of none of its starts`},
		"a proxied service's pid of another start": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Up: true, Pid: 70, Starts: []ProxiedStart{{Attempt: 1, Pid: 71}}}}
		}, `proxy "p": service "x": pid 70 is of none of its starts`},
		"a proxied service's last pid past pid_t": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", LastPid: 1 << 32, Gone: true, Starts: []ProxiedStart{}}}
		}, `proxy "p": service "x": last pid 4294967296 is not a process`},
		"a name asked nothing any more with no last pid": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Gone: true, Decl: 3, Starts: []ProxiedStart{}}}
		}, `proxy "p": service "x": gone, with no last pid or with a process or starts`},
		"a name asked nothing any more with a process": {func(s *State) {
			s.Proxies[0].Services = []ProxiedService{{Name: "x", Gone: true, LastPid: 70, Pid: 71, Starts: []ProxiedStart{{Attempt: 1, Pid: 71}}}}
		}, `proxy "p": service "x": gone, with no last pid or with a process or starts`},
		"a direct run up with no process": {func(s *State) {
			s.Services = []Service{svc("a", lifecycle.Lifecycle{State: messages.Stopping, Want: lifecycle.WantDown})}
		}, `service "a" is stopping with no process`},
		"a proxy running with no process": {func(s *State) {
			running(&s.Proxies[0], 0)
		}, `proxy "p" runs with no process`},
		"service under a proxy not declared": {func(s *State) {
			s.Services[0].Config.Proxy = "nope"
		}, `service "web" runs under proxy "nope", which is not declared`},
	} {
		st := sample()
		tc.mutate(st)
		b, err := Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	for st := messages.Stopped; st <= messages.Backoff; st++ {
		s := sample()
		s.Services[0].Lifecycle.State = st
		if st.IsUp() {
			s.Services[0].Lifecycle.Pid = 100
		}
		b, err := Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(b); err != nil {
			t.Errorf("state %v refused: %v", st, err)
		}
	}
}

// A proxied start given up whose next start's time is after now would
// have its exit end the orphans of every later run of its service.
func TestDecodeRefusesAProxiedStartTimeAfterNow(t *testing.T) {
	if osproc.BootTicks() == 0 {
		t.Skip("no CLOCK_BOOTTIME here: no time is stamped, none is checked")
	}
	st := sample()
	st.Proxies[0].Services = []ProxiedService{{Name: "x", Starts: []ProxiedStart{{Attempt: 1, Left: true, Sent: 5, Next: 1 << 62}}}}
	b, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `proxy "p": service "x": start 1: sent 5, next 4611686018427387904: a time after now`
	if _, err := Decode(b); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%v, want an error with %q", err, want)
	}
}

// TestDecodeRunningProxyWithoutPipes checks that a running proxy without
// its pipes, as the check's state (written before the freeze) has it, is
// taken by Decode, and refused by CheckFrozen, which the new cfkd asks:
// only a frozen state hands a running proxy's pipes over.
func TestDecodeRunningProxyWithoutPipes(t *testing.T) {
	st := sample()
	st.Proxies[0].Running, st.Proxies[0].Pid = true, 55
	b, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("the check's state refused: %v", err)
	}
	if err := got.CheckFrozen(); err == nil || !strings.Contains(err.Error(), `proxy "p" runs without its pipes`) {
		t.Fatalf("CheckFrozen: %v, want the proxy without its pipes", err)
	}
	got.Proxies[0].CmdFd, got.Proxies[0].StatusFd, got.Proxies[0].LogFd = 10, 11, 12
	if err := got.CheckFrozen(); err != nil {
		t.Fatalf("CheckFrozen of a frozen state: %v", err)
	}
}
