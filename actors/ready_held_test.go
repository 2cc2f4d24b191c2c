package actors

import (
	"io"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// A ready=tcp: check on the address of a socket cfkd binds passes at
// once (REFERENCE §2.9, §3): the kernel completes the connection into
// the backlog of cfkd's listening socket, whether a service accepts or
// not, and the connection waits there for a worker. The service was
// `running` at startwait, ready or not (these fake processes accept
// nothing), and nobody was told. cfkd now warns, from the probe's
// goroutine, whatever the address: the socket's own, a wildcard socket
// reached on 127.0.0.1, a host name; its own socket or another
// service's. The probe runs as before. A check on a listener that is not
// cfkd's is not warned of.
func TestReadyTCPOnAHeldSocketIsWarned(t *testing.T) {
	t.Parallel()
	outside, err := net.Listen("tcp", "127.0.0.1:0") // someone else's listener
	if err != nil {
		t.Fatal(err)
	}
	defer outside.Close()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	web := r.bindLoopback("web")
	r.ok("socket wild host=0.0.0.0", "socket wild service=0", "command bind wild")
	wild := r.socketLine("wild")[2]
	services := map[string][]string{
		"own":     {"listen_sockets=web", "ready=tcp:127.0.0.1:" + web},
		"wild":    {"tie_stdin_to=wild", "ready=tcp:127.0.0.1:" + wild},
		"byname":  {"ready=tcp:localhost:" + web}, // another service's socket
		"outside": {"listen_sockets=web", "ready=tcp:" + outside.Addr().String()},
	}
	if addrs, _ := net.LookupHost("localhost"); !slices.Contains(addrs, "127.0.0.1") {
		delete(services, "byname") // its check would never pass
	}
	for name, attrs := range services {
		r.ok("service "+name+" cmd=sleep 100", "service "+name+" startwait_secs=0.05")
		for _, a := range attrs {
			r.ok("service " + name + " " + a)
		}
		r.okDone("command start service "+name, 1)
	}
	for name := range services {
		r.expectSeq(name, starting, running) // the probe passed, as before
	}
	var want []string
	if services["byname"] != nil {
		want = append(want, "byname: ready=tcp:localhost:"+web+" is socket 'web', "+heldTail)
	}
	expectHeldWarnings(t, hook, append(want,
		"own: ready=tcp:127.0.0.1:"+web+" is socket 'web', "+heldTail,
		"wild: ready=tcp:127.0.0.1:"+wild+" is socket 'wild', "+heldTail)...)
}

const heldTail = "which cfkd holds: the kernel accepts there before the service does, so the check passes at once; use ready=http: or ready=notify"

// expectHeldWarnings checks that the warnings of ready=tcp: checks on
// cfkd's sockets logged are want (in name order), at WARN with the pid:
// each is logged before its probe tells the service it passed, so a
// service `running` has had its warning.
func expectHeldWarnings(t *testing.T, hook *logtest.Hook, want ...string) {
	t.Helper()
	var got []string
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, "ready=tcp:") {
			if e.Level != logrus.WarnLevel || e.Data["pid"] == nil {
				t.Errorf("%q: level %v, fields %v: want WARN with the pid", e.Message, e.Level, e.Data)
			}
			got = append(got, e.Message)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
