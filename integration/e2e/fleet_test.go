package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/cfk/cfk/internal/testkit"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
	"google.golang.org/protobuf/proto"
)

// A fleet on one machine (REFERENCE §12): hosts web1, web2, web3 on
// 127.0.0.2, .3 and .4 (all of 127/8 is loopback), each a cfkd of its own
// home, and a hub on 127.0.0.1, with certificates made by cfkctl fleet
// certs.

type fleetRig struct {
	t     testing.TB
	dir   string
	addrs map[string]string // member → HOST:PORT
	hosts map[string]*daemon
	hub   *daemon
	conf  map[string]string // host → its config file
}

// freePortOn is a port free on ip at the time of the call.
func freePortOn(t testing.TB, ip string) string {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startFleet starts the hosts, each with conf (its services), and a hub
// whose inventory lists them; hubArgs are more flags of the hub's, and
// hostArgs of every host's.
func startFleet(t testing.TB, conf string, hostArgs ...string) *fleetRig {
	t.Helper()
	return startFleetHub(t, conf, nil, hostArgs...)
}

// startFleetHub is startFleet with more flags for the hub.
func startFleetHub(t testing.TB, conf string, hubArgs []string, hostArgs ...string) *fleetRig {
	t.Helper()
	r := &fleetRig{t: t, dir: t.TempDir(), addrs: map[string]string{}, hosts: map[string]*daemon{}, conf: map[string]string{}}
	names := []string{"web1", "web2", "web3"}
	r.addrs["hub"] = freePortOn(t, "127.0.0.1")
	args := []string{"fleet", "certs", filepath.Join(r.dir, "certs"), "--hub", "hub=" + r.addrs["hub"]}
	var inv strings.Builder
	for i, n := range names {
		r.addrs[n] = freePortOn(t, fmt.Sprintf("127.0.0.%d", i+2))
		args = append(args, "--host", n+"="+r.addrs[n])
		tags := "web,eu"
		if n == "web2" {
			tags = "web,us"
		}
		fmt.Fprintf(&inv, "host %s addr=%s tags=%s\n", n, r.addrs[n], tags)
	}
	out, err := exec.Command(cfkctlBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cfkctl %v: %v\n%s", args, err, out)
	}
	if hub := "--fleet-key hub.key --fleet-inventory inventory\n"; !strings.Contains(string(out), hub) {
		t.Fatalf("cfkctl %v: the hub's flags lack %q:\n%s", args, hub, out)
	}
	writeFileE2E(t, filepath.Join(r.dir, "inventory"), inv.String())
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, n := range names {
		r.conf[n] = filepath.Join(r.dir, n+".conf")
		writeFileE2E(t, r.conf[n], conf)
	}
	for _, n := range names {
		args := append(r.memberArgs(n, "-c", r.conf[n]), hostArgs...)
		wg.Add(1)
		go func() { // started together: each start takes a while under -race
			defer wg.Done()
			d := startDaemon(t, filepath.Join(r.dir, n), args...)
			mu.Lock()
			r.hosts[n] = d
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		// a host's start failed in its goroutine (whose FailNow ended only
		// that goroutine): the test would go on without it, and panic
		t.FailNow()
	}
	r.hub = startDaemon(t, filepath.Join(r.dir, "hub"), r.memberArgs("hub", append([]string{"--fleet-inventory", filepath.Join(r.dir, "inventory")}, hubArgs...)...)...)
	return r
}

// memberArgs are the --fleet-* flags of member name, then more.
func (r *fleetRig) memberArgs(name string, more ...string) []string {
	c := filepath.Join(r.dir, "certs")
	return append([]string{"--fleet-listen", r.addrs[name], "--fleet-ca", filepath.Join(c, certs.CAFile),
		"--fleet-cert", filepath.Join(c, name+".pem"), "--fleet-key", filepath.Join(c, name+".key")}, more...)
}

func writeFileE2E(t testing.TB, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fleetServices: two web services per host, quick to start and stop.
const fleetServices = `service a cmd=sleep 100
service a tags=web
service a startwait_secs=0.3
service b cmd=sleep 100
service b tags=web
service b startwait_secs=0.3
command start all
`

// hostLines parses a hub's reply to `command fleet` into each host's
// outcome and body lines.
func hostLines(t *testing.T, rep messages.Reply) (map[string][]string, map[string]messages.FleetLine) {
	t.Helper()
	if rep.Err != nil {
		t.Fatalf("fleet request: %v", rep.Err)
	}
	lines, out := map[string][]string{}, map[string]messages.FleetLine{}
	for _, l := range rep.Lines {
		fl, err := messages.ParseFleetLine(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if fl.Outcome() {
			out[fl.Host] = fl
		} else if fl.Kind == messages.FleetBody {
			lines[fl.Host] = append(lines[fl.Host], fl.Text)
		}
	}
	return lines, out
}

// waitRunning waits until every service of d runs.
func waitRunning(t *testing.T, d *daemon, names ...string) {
	t.Helper()
	waitState(t, d, "running", names...)
}

// waitState waits until each of names is in state on d.
func waitState(t *testing.T, d *daemon, state string, names ...string) {
	t.Helper()
	c := d.dial()
	for _, n := range names {
		c.until(n+" "+state, func() bool { return c.status(n)[1] == state })
	}
}

// TestFleetEndToEnd: fleet status lists the three hosts' services; a
// rolling restart goes host by host (by the times of the events the hub
// merged) and stops at the host whose service does not come back, the
// last one untouched; a host whose cfkd is killed is reported down within
// the deadline while the others answer, and is used again once a cfkd
// runs there again.
func TestFleetEndToEnd(t *testing.T) {
	t.Parallel()
	r := startFleet(t, fleetServices)
	for _, d := range r.hosts {
		waitRunning(t, d, "a", "b")
	}
	out := r.hub.ctlOK("", "fleet", "status")
	for _, h := range []string{"web1", "web2", "web3"} {
		for _, s := range []string{"a", "b"} {
			if !strings.Contains(out, h+"\trunning  "+s+" ") {
				t.Fatalf("fleet status: no %s on %s:\n%s", s, h, out)
			}
		}
	}
	if out := r.hub.ctlOK("", "fleet", "hosts"); strings.Count(out, "up ") != 3 || !strings.Contains(out, "cfk ") {
		t.Fatalf("fleet hosts:\n%s", out)
	}
	if out := r.hub.ctlOK("", "fleet", "--hosts", "@us", "status", "a"); strings.TrimSpace(out) == "" || strings.Contains(out, "web1") {
		t.Fatalf("fleet status --hosts @us:\n%s", out)
	}

	// the events the hub merges, as they come, kept for their times
	evFile := filepath.Join(r.dir, "events")
	f, err := os.Create(evFile)
	if err != nil {
		t.Fatal(err)
	}
	ev := exec.Command(cfkctlBin, "--address", "unix:"+r.hub.sock, "--json", "fleet", "events")
	ev.Stdout, ev.Env = f, childEnv()
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ev.Process.Kill(); ev.Wait(); f.Close() })
	// the stream is on once an event of each host comes through it
	for _, h := range []string{"web1", "web2", "web3"} {
		r.hosts[h].dial().ok("service z cmd=sleep 100", "command start service z")
		for end := time.Now().Add(deadline); !eventOf(t, evFile, h, "z"); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("fleet events: no event of %s's z", h)
			}
		}
	}
	// web2's a will not come back: its command fails at once
	r.hosts["web2"].dial().ok("service a cmd=false", "service a respawn_max_retries=1")
	stdout, _, code := r.hub.ctl("", "fleet", "restart", "--rolling-hosts", "@web")
	if code != 1 || !strings.Contains(stdout, "web1\tdone 2") || !strings.Contains(stdout, "web3\tskipped: the rolling restart stopped at web2") ||
		!strings.Contains(stdout, "web2\tERROR: Service 'a' did not come back up: fatal (Exited with error 1)") {
		t.Fatalf("rolling restart: exit %d\n%s", code, stdout)
	}
	times := eventTimes(t, evFile, "a", "b")
	if times["web1"].last.IsZero() || times["web2"].first.IsZero() || times["web2"].first.Before(times["web1"].last) {
		t.Fatalf("web2 began (%v) before web1 was done (%v)", times["web2"].first, times["web1"].last)
	}
	if st := r.hosts["web3"].dial().status("a"); st[1] != "running" || st[2] == "" {
		t.Fatalf("web3 touched: %q", st)
	}

	// web3's cfkd dies: reported down within the deadline, the others answer
	r.hosts["web3"].cmd.Process.Signal(syscall.SIGKILL)
	r.hosts["web3"].waitExit()
	// what the killed cfkd left: the next one on this home kills it on
	// Linux, but not on the portable path (no /proc scan, REFERENCE §11)
	killHome(r.hosts["web3"].home)
	start := time.Now()
	rep := r.hub.dial().do("command fleet status")
	took := time.Since(start)
	_, outc := hostLines(t, rep)
	if outc["web3"].Kind != messages.FleetDown || outc["web1"].Kind != messages.FleetOK || outc["web2"].Kind != messages.FleetOK {
		t.Fatalf("after the kill: %+v", outc)
	}
	if took > 6*time.Second {
		t.Fatalf("answered after %v (deadline 5s)", took)
	}
	t.Logf("web3 killed: %q, answered after %v", outc["web3"].Text, took)
	// a cfkd there again: used again
	d := startDaemon(t, r.hosts["web3"].home, r.memberArgs("web3", "-c", r.conf["web3"])...)
	waitRunning(t, d, "a", "b")
	// within protoactor's 2 s pause of its endpoint after the failed
	// dial above, the hub may still say web3 cannot be reached
	// (REFERENCE §12.4): it is used again within a deadline
	for end := time.Now().Add(10 * time.Second); ; {
		_, outc = hostLines(t, r.hub.dial().do("command fleet status"))
		if outc["web3"].Kind == messages.FleetOK {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("web3 back: %+v, 10 s after its cfkd runs again", outc["web3"])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

type span struct{ first, last time.Time }

// eventOf reports whether the merged events hold one of host's service.
func eventOf(t *testing.T, name, host, service string) bool {
	_, ok := eventTimes(t, name, service)[host]
	return ok
}

// eventTimes reads the merged events (cfkctl --json fleet events) and
// returns, by host, the time of the first and the last event of the
// services named.
func eventTimes(t *testing.T, name string, services ...string) map[string]span {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]span{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		var l struct {
			Host  string          `json:"host"`
			Event json.RawMessage `json:"event"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		e, err := messages.ParseEvent(string(l.Event))
		if err != nil || e.Kind != messages.EventService || !slices.Contains(services, e.Service) {
			continue
		}
		s := out[l.Host]
		if s.first.IsZero() {
			s.first = e.Time
		}
		s.last = e.Time
		out[l.Host] = s
	}
	return out
}

// TestFleetRefusals: a host refuses a verb its --fleet-allow does not
// name; a plaintext client and a certificate of another CA get no stream;
// a message of a type protoactor does not know, and a PoisonPill, from a
// peer with a valid hub certificate, neither crash the host nor stop its
// gateway.
func TestFleetRefusals(t *testing.T) {
	t.Parallel()
	r := startFleet(t, "service a cmd=sleep 100\nservice a tags=old\n")
	c := r.hub.dial()
	_, outc := hostLines(t, c.do("command fleet hosts=web1 destroy tag old"))
	if o := outc["web1"]; o.Kind != messages.FleetError || o.Text != "not authorized" {
		t.Fatalf("destroy: %+v", o)
	}
	if st := r.hosts["web1"].dial().status("a"); st[0] != "a" {
		t.Fatalf("a destroyed: %q", st)
	}

	addr := r.addrs["web1"]
	load := func(dir, name string) *certs.Credentials {
		cr, err := certs.Load(filepath.Join(dir, certs.CAFile), filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	hub := load(filepath.Join(r.dir, "certs"), "hub")
	// plaintext
	if _, err := testkit.RawFleetStream(t, addr, nil); err == nil {
		t.Fatal("a plaintext client got a stream")
	}
	// another CA's hub
	other := filepath.Join(r.dir, "other")
	if out, err := exec.Command(cfkctlBin, "fleet", "certs", other, "--hub", "hub="+r.addrs["hub"]).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	foreign := load(other, "hub").Client(certs.RoleHost)
	foreign.RootCAs = hub.CA
	if _, err := testkit.RawFleetStream(t, addr, foreign); err == nil {
		t.Fatal("a hub of another CA got a stream")
	}
	// a valid hub, hostile messages
	s, err := testkit.RawFleetStream(t, addr, hub.Client(certs.RoleHost))
	if err != nil {
		t.Fatal(err)
	}
	gw := &actor.PID{Address: addr, Id: "gateway"}
	pill, _ := proto.Marshal(&actor.PoisonPill{})
	stop, _ := proto.Marshal(&wire.Request{Id: 7, Hub: "hub", Lines: []string{"command stop all"}})
	if err := s.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: &remote.MessageBatch{
		TypeNames: []string{"no.such.Type", "actor.PoisonPill", "actor.Stop", string(proto.MessageName(&wire.Request{}))},
		Targets:   []*actor.PID{gw, {Address: addr, Id: "EndpointSupervisor"}},
		Envelopes: []*remote.MessageEnvelope{
			{TypeId: 0, MessageData: []byte{1, 2, 3}},
			{TypeId: 1, MessageData: pill},
			{TypeId: 2, MessageData: nil, Target: 1},
			{TypeId: 3, MessageData: stop, SerializerId: 1},
		},
	}}}); err != nil {
		t.Fatal(err)
	}
	s.CloseSend()
	// the host lives, its gateway answers, nothing was stopped
	_, outc = hostLines(t, c.do("command fleet hosts=web1 status"))
	if outc["web1"].Kind != messages.FleetOK {
		t.Fatalf("after hostile messages: %+v", outc)
	}
	if st := r.hosts["web1"].dial().status("a"); st[1] != "stopped" && st[1] != "running" {
		t.Fatalf("a: %q", st)
	}
	// cfkd's log is written behind a queue: the hub's answer can come first
	waitLog(t, r.hosts["web1"].home, "dropped a message from hub hub")
}
