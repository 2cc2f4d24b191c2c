package actors

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
)

// user, group and mode of a UNIX socket (REFERENCE §1.2, §3): refused on a
// TCP socket at the declaration; names looked up at the bind, an unknown
// one failing it by name; the file bound with them; a change waits for
// the next bind.
func TestSocketOwnerGroupMode(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("socket tcp host=127.0.0.1", "socket tcp service=0")
	r.fails("socket tcp user=www",
		`invalid value for user: "www" (want a UNIX socket (host=unix/): socket tcp is on 127.0.0.1, which has no file to own)`)
	r.fails("socket tcp mode=0600",
		`invalid value for mode: "0600" (want a UNIX socket (host=unix/): socket tcp is on 127.0.0.1, which has no file to own)`)
	r.fails("socket tcp mode=0800", `invalid value for mode: "0800" (want octal permission bits 0 to 0777, like 0660)`)

	dir, err := os.MkdirTemp("", "cfk-own-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "web.sock")
	r.ok("socket web host=unix/", "socket web service="+path, "socket web user=nosuchuser-cfk")
	r.fails("socket web host=127.0.0.1",
		`invalid value for host: "127.0.0.1" (want unix/: socket web has user=nosuchuser-cfk, which only a UNIX socket takes (unset them first))`)
	r.fails("command bind web", `cannot bind 'web': unknown user "nosuchuser-cfk"`)
	if f := r.socketLine("web"); len(f) != 6 || f[5] != "user=nosuchuser-cfk" {
		t.Fatalf("sockets line %q, want a sixth field user=nosuchuser-cfk", f)
	}
	if f := r.socketLine("tcp"); len(f) != 5 {
		t.Fatalf("sockets line %q: five fields without the attributes", f)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("%s after a failed bind: %v", path, err)
	}
	if os.Geteuid() != 0 {
		r.shutdownClean()
		return
	}
	r.ok("socket web user=nobody", "socket web group=nogroup", "socket web mode=0640", "command bind web")
	stat := func() (uint32, uint32, os.FileMode) {
		st, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Uid, st.Sys().(*syscall.Stat_t).Gid, st.Mode()
	}
	if uid, gid, mode := stat(); uid != 65534 || gid != 65534 || mode != os.ModeSocket|0o640 {
		t.Fatalf("bound: uid %d gid %d mode %v, want 65534 65534 0640", uid, gid, mode)
	}
	// a change takes effect at the next bind; the sockets line says the
	// file's attributes as bound meanwhile
	r.ok("socket web user=", "socket web group=", "socket web mode=")
	if f := r.socketLine("web"); len(f) != 6 || f[5] != "user=nobody group=nogroup mode=0640" {
		t.Fatalf("sockets line %q, want the attributes as bound", f)
	}
	if uid, gid, mode := stat(); uid != 65534 || gid != 65534 || mode != os.ModeSocket|0o640 {
		t.Fatalf("changed while bound: uid %d gid %d mode %v", uid, gid, mode)
	}
	r.ok("command unbind web", "command bind web")
	if uid, gid, mode := stat(); uid != 0 || gid != 0 || mode != os.ModeSocket|0o660 {
		t.Fatalf("bound again: uid %d gid %d mode %v, want cfkd's, 0660", uid, gid, mode)
	}
	if f := r.socketLine("web"); len(f) != 5 {
		t.Fatalf("sockets line %q: five fields without the attributes", f)
	}
	r.shutdownClean()
}

// An upgrade in place (REFERENCE §13.2) hands the bound UNIX socket over
// without binding it again: its file keeps the owner, group and mode it
// was bound with, and the declaration, with its user, group and mode,
// crosses (declared and as bound).
func TestUpgradeKeepsSocketOwnerGroupMode(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown)")
	}
	dir, err := os.MkdirTemp("", "cfk-own-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "web.sock")
	old := newRig(t)
	old.ok("socket web host=unix/", "socket web service="+path, "socket web user=nobody", "socket web group=nogroup",
		"socket web mode=0640", "command bind web", "socket web mode=0600") // the last one waits for the next bind
	ex := old.export(false)
	if len(ex.Sockets) != 1 || ex.Sockets[0].File == nil {
		t.Fatalf("exported sockets %+v", ex.Sockets)
	}
	fd, err := syscall.Dup(int(ex.Sockets[0].File.Fd())) // the exec's copy
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "web")
	st := &upgrade.State{Sockets: []upgrade.Socket{ex.Sockets[0].Socket}}
	st.Sockets[0].Fd = fd
	nw := newRig(t)
	rep, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: st, Files: map[int]*os.File{fd: f}}, deadline).Result()
	if err != nil || rep.(messages.Reply).Err != nil {
		t.Fatalf("restore: %v %v", err, rep)
	}
	s := nw.export(false).Sockets
	want := messages.SocketConfig{Name: "web", Host: "unix/", Service: path, User: "nobody", Group: "nogroup", Mode: "0600"}
	wantBound := want
	wantBound.Mode = "0640"
	if len(s) != 1 || s[0].Config != want || s[0].Bound != wantBound {
		t.Fatalf("adopted %+v, want declared %+v, bound %+v", s, want, wantBound)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if sys := fi.Sys().(*syscall.Stat_t); sys.Uid != 65534 || sys.Gid != 65534 || fi.Mode() != os.ModeSocket|0o640 {
		t.Fatalf("after the upgrade: uid %d gid %d mode %v, want 65534 65534 0640", sys.Uid, sys.Gid, fi.Mode())
	}
	nw.ok("command unbind web", "command bind web")
	if fi, err = os.Lstat(path); err != nil || fi.Mode() != os.ModeSocket|0o600 {
		t.Fatalf("bound again: %v %v, want mode 0600", fi, err)
	}
	nw.shutdownClean()
}
