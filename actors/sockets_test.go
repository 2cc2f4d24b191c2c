package actors

import (
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// bindLoopback declares socket name on 127.0.0.1 port 0, binds it and
// returns the real port.
func (r *rig) bindLoopback(name string, attrs ...string) string {
	r.t.Helper()
	lines := []string{"socket " + name + " host=127.0.0.1", "socket " + name + " service=0"}
	for _, a := range attrs {
		lines = append(lines, "socket "+name+" "+a)
	}
	r.ok(lines...)
	r.ok("command bind " + name)
	return r.socketLine(name)[2]
}

// socketLine returns the fields of one line of `command sockets`.
func (r *rig) socketLine(name string) []string {
	r.t.Helper()
	for _, l := range r.ok("command sockets") {
		if f := strings.Split(l, "\t"); f[0] == name {
			if len(f) != 5 && len(f) != 6 { // 6: a UNIX socket's file attributes
				r.t.Fatalf("sockets line %q: %d fields", l, len(f))
			}
			return f
		}
	}
	r.t.Fatalf("no socket %s in the listing", name)
	return nil
}

// portOf is the local port of a listening socket given to a process.
func portOf(t *testing.T, f *os.File) string {
	t.Helper()
	if f == nil {
		t.Fatal("no socket given")
	}
	sa, err := unix.Getsockname(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(sa.(*unix.SockaddrInet4).Port)
}

// shutdownClean shuts the tree down with well-behaved fake processes, so
// that every socket is closed when the test ends.
func (r *rig) shutdownClean() {
	r.t.Helper()
	r.setAutoTerm()
	r.ok("command shutdown")
}

func TestBindTieStdinAndListing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("socket web host=127.0.0.1", "socket web service=0",
		"service s cmd=sleep 100", "service s tie_stdin_to=web", "service s startwait_secs=0.02")
	if got := r.ok("command sockets"); !slices.Equal(got, []string{"web\t127.0.0.1\t0\tunbound\ts"}) {
		t.Fatalf("sockets before bind %q", got)
	}
	r.fails("command start service s", "Service 's' cannot start: socket 'web' is not bound")
	r.ok("command bind web")
	f := r.socketLine("web")
	if f[2] == "0" || f[2] == "" || f[3] != "bound" || f[4] != "s" {
		t.Fatalf("sockets after bind %q", f)
	}
	r.fails("command bind web", "socket 'web' is already bound")
	r.fails("command bind nope", "unknown socket 'nope'")
	r.fails("command unbind nope", "unknown socket 'nope'")

	r.okDone("command start service s", 1)
	l := r.fake.waitLaunch(t, 1)
	if got := portOf(t, l.Spec.Stdin); got != f[2] {
		t.Fatalf("stdin is the socket on port %s, want %s", got, f[2])
	}
	if len(l.Spec.ExtraFiles) != 0 {
		t.Fatalf("extra files %v", l.Spec.ExtraFiles)
	}
	r.shutdownClean()
	if f := r.socketLine("web"); f[3] != "unbound" {
		t.Fatalf("after shutdown %q", f)
	}
}

// The socket is refused to a second bind on the same address with the
// error shape `cannot bind 'NAME': REASON`.
func TestBindErrors(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("a")
	r.ok("socket b host=127.0.0.1", "socket b service="+port)
	r.fails("command bind b", "cannot bind 'b': bind 127.0.0.1:"+port+": address already in use (socket 'a' is bound on 127.0.0.1:"+port+")")
	if f := r.socketLine("b"); f[3] != "unbound" || f[2] != port {
		t.Fatalf("b %q", f)
	}
	r.ok("socket c service=80")
	r.fails("command bind c", "cannot bind 'c': no host (socket c host=IP|unix/)")
	r.ok("socket d host=unix/", "socket d service=relative.sock")
	r.fails("command bind d", `cannot bind 'd': the path of a UNIX socket must be absolute: "relative.sock"`)
	r.shutdownClean()
}

// unbind is refused while a service using the socket is up; once done,
// the fd is closed (the port is free) and the service cannot start.
func TestUnbind(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	r.startRunning("s", "tie_stdin_to=web")
	r.startRunning("t", "listen_sockets=web")
	r.startRunning("other")
	r.fails("command unbind web", "socket 'web' is in use by s,t")
	r.setAutoTerm()
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping, stopped)
	r.fails("command unbind web", "socket 'web' is in use by t")
	r.okDone("command stop service t", 1)
	r.expectSeq("t", stopping, stopped)
	r.ok("command unbind web")
	r.fails("command unbind web", "socket 'web' is not bound")
	if f := r.socketLine("web"); f[3] != "unbound" || f[2] != "0" || f[4] != "s,t" {
		t.Fatalf("after unbind %q", f)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("the port is still taken after unbind: %v", err)
	}
	ln.Close()
	r.fails("command start service s", "Service 's' cannot start: socket 'web' is not bound")
	r.fails("command start service t", "Service 't' cannot start: socket 'web' is not bound")
	// a new bind takes the declaration as it is now
	r.ok("socket web listen_qsize=5", "command bind web")
	if f := r.socketLine("web"); f[3] != "bound" || f[2] == port {
		t.Fatalf("rebind %q (old port %s)", f, port)
	}
	r.shutdownClean()
}

// A change to a bound socket shows, and takes effect, at the next bind.
func TestChangeOfABoundSocket(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	r.ok("socket web host=::1")
	if f := r.socketLine("web"); f[1] != "127.0.0.1" || f[2] != port || f[3] != "bound" {
		t.Fatalf("the listing must show what is bound: %q", f)
	}
	r.ok("command unbind web")
	if f := r.socketLine("web"); f[1] != "::1" || f[2] != "0" || f[3] != "unbound" {
		t.Fatalf("after unbind %q", f)
	}
	r.shutdownClean()
}

// listen_sockets: fds 3, 4, ... in order, LISTEN_FDS and LISTEN_FDNAMES,
// and the shim that sets LISTEN_PID; status shows the command itself.
func TestListenSockets(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) {
		o.Env = []string{"PATH=/usr/bin:/bin", "LISTEN_PID=1", "LISTEN_FDS=9", "KEEP=1"}
	})
	pa := r.bindLoopback("a")
	pb := r.bindLoopback("b")
	r.ok("service s cmd=server --flag", "service s listen_sockets=b,a", "service s startwait_secs=0.02")
	r.okDone("command start service s", 1)
	l := r.fake.waitLaunch(t, 1)
	if len(l.Spec.ExtraFiles) != 2 || portOf(t, l.Spec.ExtraFiles[0]) != pb || portOf(t, l.Spec.ExtraFiles[1]) != pa {
		t.Fatalf("extra files %v", l.Spec.ExtraFiles)
	}
	if l.Spec.Stdin != nil {
		t.Fatal("stdin must stay /dev/null")
	}
	// no PWD, no SHLVL in its environment: none the shell adds (REFERENCE §2.6)
	want := []string{"/bin/sh", "-c", listenPidSet + "; unset PWD; unset SHLVL; " + execShimmed, "server", "--flag"}
	if !slices.Equal(l.Spec.Argv, want) {
		t.Fatalf("argv %q, want %q", l.Spec.Argv, want)
	}
	env := strings.Join(l.Spec.Env, "\n") + "\n"
	for _, s := range []string{"LISTEN_FDS=2\n", "LISTEN_FDNAMES=b:a\n", "KEEP=1\n"} {
		if !strings.Contains(env, s) {
			t.Errorf("env lacks %q: %q", s, l.Spec.Env)
		}
	}
	if strings.Contains(env, "LISTEN_PID=") || strings.Contains(env, "LISTEN_FDS=9") {
		t.Errorf("cfkd's own activation variables leaked: %q", l.Spec.Env)
	}
	r.expectSeq("s", starting, running)
	if st := r.status("s"); st[7] != "server --flag" {
		t.Fatalf("running_cmd %q", st[7])
	}
	r.shutdownClean()
}

// Shutdown closes the sockets after the services are down, not before.
func TestShutdownClosesSocketsLast(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	pid := r.startRunning("s", "tie_stdin_to=web")
	rep := r.async("command shutdown")
	r.fake.waitSignal(t, pid, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	// still stopping: the socket must still accept into its backlog
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, deadline)
	if err != nil {
		t.Fatalf("socket closed before the services were down: %v", err)
	}
	c.Close()
	r.noReply("shutdown", rep, 20*time.Millisecond)
	r.fake.exit(t, pid, killedBy(syscall.SIGTERM))
	if got := r.reply("shutdown", rep); got.Err != nil {
		t.Fatal(got.Err)
	}
	if _, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
		t.Fatal("the socket still accepts after the shutdown")
	}
	r.fails("command bind web", "cfkd is shutting down")
	r.fails("socket x host=127.0.0.1", "cfkd is shutting down")
}

// A service created after the bind gets the table at its creation; one
// that respawns by itself keeps getting the socket.
func TestNewServiceAndRespawnGetTheSocket(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	pid := r.startRunning("late", "tie_stdin_to=web")
	if got := portOf(t, r.fake.waitLaunch(t, 1).Spec.Stdin); got != port {
		t.Fatalf("port %s", got)
	}
	r.fake.exit(t, pid, killedBy(syscall.SIGKILL))
	r.expectSeq("late", fail, starting)
	if got := portOf(t, r.fake.waitLaunch(t, 2).Spec.Stdin); got != port {
		t.Fatalf("respawn port %s", got)
	}
	r.shutdownClean()
}

// rollingrestart restarts one service at a time: the next one is stopped
// only once the previous one is running again.
func TestRollingRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	for _, n := range []string{"w1", "w2", "w3"} {
		r.startRunning(n, "tags=web")
	}
	r.startRunning("x")
	r.okDone("command rollingrestart tag web", 3)
	for _, n := range []string{"w1", "w2", "w3"} {
		r.expectSeq(n, stopping, stopped, starting, running)
	}
	r.expectQuiet("x", 0)
	// order: each stop comes after the previous service runs again
	r.mu.Lock()
	var order []string
	for _, e := range r.events {
		if strings.HasPrefix(e.Name, "w") && (e.To == stopping || e.To == running) && e.From != stopped {
			order = append(order, e.Name+":"+e.To.String())
		}
	}
	r.mu.Unlock()
	want := []string{"w1:running", "w2:running", "w3:running", // startRunning
		"w1:stopping", "w1:running", "w2:stopping", "w2:running", "w3:stopping", "w3:running"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %q, want %q", order, want)
	}
	// a down service is started, and answered once running
	r.okDone("command stop service w2", 1)
	r.expectSeq("w2", stopping, stopped)
	r.okDone("command rollingrestart service w2", 1)
	r.expectSeq("w2", starting, running)
}

// The first service that does not come back up stops a rolling restart;
// the services after it are left as they are.
func TestRollingRestartStopsAtFirstFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	var pids []int
	for _, n := range []string{"w1", "w2", "w3"} {
		pids = append(pids, r.startRunning(n, "tags=web", "respawn_on_fail=0"))
	}
	r.ok("service w2 cmd=") // takes effect at its next start: it cannot start again
	rep := r.exec("command rollingrestart tag web")
	want := []string{"done 1", "w2: Service 'w2' has no known command", "w3: not restarted: the rolling restart stopped at w2"}
	if rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("reply %v %q, want %q", rep.Err, rep.Lines, want)
	}
	if st := r.status("w3"); st[1] != "running" || st[2] != strconv.Itoa(pids[2]) {
		t.Fatalf("w3 was touched: %q", st)
	}
	// a process that dies while starting: the rolling restart says so
	r.ok("service w1 startwait_secs=5")
	rc := r.async("command rollingrestart service w1")
	r.expectSeq("w1", stopping, stopped, starting, running, stopping, stopped, starting)
	r.fake.exit(t, r.fake.waitLaunch(t, 5).Pid, exitCode(3))
	got := r.reply("rolling w1", rc)
	if got.Err == nil || got.Err.Error() != "Service 'w1' did not come back up: fail (Exited with error 3)" {
		t.Fatalf("reply %v %q", got.Err, got.Lines)
	}
}

// unbind closes the fd only once every service has acknowledged the table
// without it: a service still holding the old table may launch with it.
func TestUnbindWaitsForEveryService(t *testing.T) {
	t.Parallel()
	trap := newTrap(func(m any) bool { _, ok := m.(messages.SocketsChanged); return ok })
	r := newRig(t, withTrap(trap.middleware))
	port := r.bindLoopback("web")
	r.ok("service s cmd=sleep 1", "service s tie_stdin_to=web")
	r.servicePID("s") // its actor spawned, after the bind: no table sent
	rep := r.async("command unbind web")
	held := trap.wait(t, 1).(messages.SocketsChanged)
	if held.Req == 0 || held.Files["web"] != nil {
		t.Fatalf("table sent %+v", held)
	}
	r.noReply("unbind", rep, 30*time.Millisecond)
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, deadline)
	if err != nil {
		t.Fatalf("closed before the service acknowledged: %v", err)
	}
	c.Close()
	trap.disarm()
	r.tree.System.Root.Send(r.servicePID("s"), held)
	if got := r.reply("unbind", rep); got.Err != nil {
		t.Fatal(got.Err)
	}
	if _, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
		t.Fatal("still accepting after unbind")
	}
	r.fails("command start service s", "Service 's' cannot start: socket 'web' is not bound")
}

// TestUnbindWithAServiceNotSpawned: a service declared but never asked
// anything has no actor yet (servicePID): an unbind does not wait for it
// (nor spawn it), and its actor, spawned later, has the table without
// the socket.
func TestUnbindWithAServiceNotSpawned(t *testing.T) {
	t.Parallel()
	trap := newTrap(func(m any) bool { _, ok := m.(messages.SocketsChanged); return ok })
	r := newRig(t, withTrap(trap.middleware))
	r.bindLoopback("web")
	r.ok("service s cmd=sleep 1", "service s tie_stdin_to=web", "command unbind web")
	trap.mu.Lock()
	n := len(trap.caught)
	trap.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d tables sent to services", n)
	}
	r.fails("command start service s", "Service 's' cannot start: socket 'web' is not bound")
}

// unbind is refused while a start of a service that uses the socket waits
// for what the service requires: the step of that service is not asked
// yet, and the unbind was accepted, then the start failed with `socket
// 'web' is not bound`.
func TestUnbindRefusedWhileAStartWaitsForItsRequires(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.bindLoopback("web")
	r.ok("service x cmd=sleep 100", "service x startwait_secs=0.5",
		"service w cmd=sleep 100", "service w startwait_secs=0.02", "service w requires=x", "service w tie_stdin_to=web")
	started := r.async("command start service w")
	r.expectSeq("x", starting)
	r.fails("command unbind web", "socket 'web' is in use by w")
	select {
	case rep := <-started:
		if rep.Err != nil {
			t.Fatalf("start w: %v", rep.Err)
		}
	case <-time.After(connWait):
		t.Fatal("start w not answered")
	}
	r.shutdownClean()
}
