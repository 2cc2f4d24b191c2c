package integration

import (
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// REFERENCE §3: unbind closes the socket ("Connections waiting in its
// backlog are dropped"), and "to apply a changed declaration, unbind then
// bind". Every proxy process holds a copy of every bound socket (§4.1,
// _CFK_SOCK_NAME) for its whole life: with a proxy up (here one that runs
// no service, and no service uses the socket) unbind answered OK and
// `sockets` said unbound while the port still listened in cfk-proxy, and
// the bind that followed failed with "address already in use". It is
// refused now, naming the proxy; once the proxy is down it goes through.
func TestUnbindWithAProxyUpLeavesThePortListening(t *testing.T) {
	proxy := buildCfkProxy(t, t.TempDir())
	h := newHarness(t)
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web")
	port := h.socketPort("web")
	h.ok("socket web service="+port, "proxy p cmd="+proxy, "command proxyup p")
	var ppid int
	proxyIs := func(state string) bool {
		for _, l := range h.ok("command proxystatus") {
			if f := strings.Split(l, "\t"); len(f) == 3 && f[0] == "p" && f[1] == state {
				if state == "up" && f[2] != "" {
					ppid = atoi(f[2])
				}
				return state != "up" || f[2] != ""
			}
		}
		return false
	}
	h.poll("proxy p to run", func() bool { return proxyIs("up") })
	t.Cleanup(func() {
		h.exec("command proxydown p")
		syscall.Kill(ppid, syscall.SIGKILL)
	})
	r := h.exec("command unbind web")
	if want := "socket 'web' is in use by proxy p (up), whose process holds every bound socket: proxydown it first"; r.Err == nil || r.Err.Error() != want {
		t.Fatalf("unbind with proxy p up: %v, want the error %q", r.Err, want)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err != nil {
		t.Fatalf("the refused unbind closed the socket: %v", err)
	} else {
		c.Close()
	}
	h.ok("command proxydown p")
	h.poll("proxy p to be down", func() bool { return proxyIs("down") })
	h.ok("command unbind web")
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Errorf("127.0.0.1:%s still accepts connections after `unbind web` answered OK (proxy p, pid %d: %v)",
			port, ppid, socketFds(t, ppid))
	}
	if r := h.exec("command bind web"); r.Err != nil {
		t.Errorf("unbind then bind, as §3 says to apply a change: %v", r.Err)
	}
}

// proxyPid is the pid `proxystatus` gives proxy name, 0 when it gives
// none.
func (h *harness) proxyPid(name string) int {
	for _, l := range h.ok("command proxystatus") {
		if f := strings.Split(l, "\t"); len(f) == 3 && f[0] == name && f[2] != "" {
			return atoi(f[2])
		}
	}
	return 0
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// socketFds lists the socket fds of pid.
func socketFds(t *testing.T, pid int) []int {
	var out []int
	for fd, what := range openFds(t, pid) {
		if strings.HasPrefix(what, "socket:") {
			out = append(out, fd)
		}
	}
	return out
}
