package upgrade

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// declared is the declarations of lines, as an apply of a file of them
// finds them.
func declared(t *testing.T, lines string) messages.Declarations {
	t.Helper()
	var stmts []messages.Statement
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		st, err := messages.Parse(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		stmts = append(stmts, st)
	}
	d, err := messages.Declare(stmts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The state of a cfkd that kept `user=007` and `ready=tcp:...:0080` as
// written is read in the spelling this cfkd parses them to (REFERENCE
// §1.4, §13.2): the first apply after the upgrade of a file declaring
// them as before found `~ a: user, ready` (and a socket's user) and
// restarted a process that was the same.
func TestDecodeRespellsAFormerCfkdsValues(t *testing.T) {
	file := declared(t, `
service a cmd=sleep 1
service a user=007
service a group=0010
service a ready=tcp:[0:0::1]:0080
socket z host=unix/
socket z service=/tmp/x
socket z user=0010
`)
	old := func(c messages.ServiceConfig) messages.ServiceConfig {
		c.User, c.Group, c.Ready = "007", "0010", "tcp:[0:0::1]:0080" // as a former cfkd kept them
		return c
	}
	a := file.Services["a"]
	oldA := old(a)
	oldRun := old(a)
	sock := file.Sockets["z"]
	sock.User = "0010"
	st := sample()
	st.Services = append(st.Services, Service{Config: oldA, RunConfig: &oldRun})
	st.Sockets = append(st.Sockets, Socket{Config: sock, Bound: sock, Fd: -1})
	b, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	svc := got.Services[len(got.Services)-1]
	if d := messages.DiffService(svc.Config, a); len(d) > 0 {
		t.Errorf("the file's declaration differs in %q from the state's: %+v", d, svc.Config)
	}
	if messages.ServiceRunChanged(*svc.RunConfig, a) {
		t.Errorf("the run %+v is taken for another than the file's", *svc.RunConfig)
	}
	k := got.Sockets[len(got.Sockets)-1]
	if k.Config != file.Sockets["z"] || k.Bound != file.Sockets["z"] {
		t.Errorf("socket %+v bound %+v, want %+v", k.Config, k.Bound, file.Sockets["z"])
	}
	// a value the parser refuses is kept as it was
	bad := messages.NewServiceConfig("b")
	bad.User = "4294967295"
	st.Services = append(st.Services, Service{Config: bad})
	if b, err = Encode(st); err != nil {
		t.Fatal(err)
	}
	if got, err = Decode(b); err != nil {
		t.Fatal(err)
	}
	if u := got.Services[len(got.Services)-1].Config.User; u != "4294967295" {
		t.Errorf("a value refused became %q", u)
	}
}
