package actors

import (
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// A service naming a socket that is not declared (a typo) was refused
// with "socket 'typo' is not bound", and `command bind typo` then
// answered "unknown socket 'typo'": the user was sent to bind what does
// not exist. Its start says the socket is not declared; once it is
// declared (the services spawned before it learn it, those spawned
// after have it), "not bound" as before, and once bound the start goes
// (REFERENCE §3, §1.7).
func TestStartWithASocketNotDeclared(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=sleep 1", "service s tie_stdin_to=typo",
		"service l cmd=sleep 1", "service l listen_sockets=typo,web")
	r.fails("command start service s", "Service 's' cannot start: socket 'typo' is not declared")
	r.fails("command start service l", "Service 'l' cannot start: socket 'typo' is not declared")
	r.fails("command bind typo", "unknown socket 'typo'")
	r.ok("socket typo host=127.0.0.1", "socket typo service=0",
		"service t cmd=sleep 1", "service t tie_stdin_to=typo")
	r.fails("command start service s", "Service 's' cannot start: socket 'typo' is not bound")
	r.fails("command start service t", "Service 't' cannot start: socket 'typo' is not bound")
	r.fails("command start service l", "Service 'l' cannot start: socket 'typo' is not bound")
	r.ok("command bind typo")
	r.fails("command start service l", "Service 'l' cannot start: socket 'web' is not declared")
	r.okDone("command start service s", 1)
	r.fake.waitLaunch(t, 1)
	r.expectQuiet("l", 0)
	r.shutdownClean()
}

// The declared sockets cross an upgrade in place: a service of the new
// cfkd naming one declared and not bound is told "not bound".
func TestSocketNotBoundAfterAnUpgrade(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.ok("socket web host=127.0.0.1", "service s cmd=sleep 1", "service s tie_stdin_to=web",
		"service u cmd=sleep 1", "service u tie_stdin_to=typo")
	ex := old.export(true)
	nw := newRig(t)
	st := &upgrade.State{Services: ex.Services}
	for _, es := range ex.Sockets {
		st.Sockets = append(st.Sockets, es.Socket)
	}
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	nw.fails("command start service s", "Service 's' cannot start: socket 'web' is not bound")
	nw.fails("command start service u", "Service 'u' cannot start: socket 'typo' is not declared")
}
