package daemon

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
	"golang.org/x/sys/unix"
)

// TestAdoptVerifyFds checks that the new cfkd takes the fds of a state
// only when each crossed the exec (open, not close-on-exec) and is what
// the state says (the lock home/lock, listeners listening stream sockets,
// the notify socket a datagram one, pipes of the right end), says which
// one is not, and closes none of them when it refuses.
func TestAdoptVerifyFds(t *testing.T) {
	home := t.TempDir()
	var files []*os.File
	keep := func(f *os.File) int { // as if it crossed the exec
		t.Helper()
		files = append(files, f)
		fd := upgrade.FdOf(f)
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			t.Fatal(err)
		}
		return fd
	}
	t.Cleanup(func() {
		for _, f := range files {
			f.Close()
		}
	})
	open := func(name string) int {
		f, err := os.OpenFile(filepath.Join(home, name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return keep(f)
	}
	listen := func(network, addr string) int {
		ln, err := net.Listen(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		f, err := ln.(interface{ File() (*os.File, error) }).File()
		if err != nil {
			t.Fatal(err)
		}
		return keep(f)
	}
	pipe := func() (r, w int) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		return keep(pr), keep(pw)
	}
	lock, other := open("lock"), open("other")
	admin, tcp := listen("unix", filepath.Join(home, "sock")), listen("tcp", "127.0.0.1:0")
	nc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(home, "notify"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	nf, err := nc.File()
	nc.Close()
	if err != nil {
		t.Fatal(err)
	}
	notifyFd := keep(nf)
	outR, outW := pipe()
	cmdR, cmdW := pipe()
	statusR, _ := pipe()
	logR, _ := pipe()
	conn, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0) // not listening
	if err != nil {
		t.Fatal(err)
	}
	unlistening := keep(os.NewFile(uintptr(conn), "unlistening"))
	cloexec, err := os.Open(filepath.Join(home, "other")) // close-on-exec: never crossed
	if err != nil {
		t.Fatal(err)
	}
	defer cloexec.Close()
	closed := 900 // not open in a test process

	good := func() *upgrade.State {
		return &upgrade.State{Home: home, Lock: lock,
			Admin:   &upgrade.Listener{Fd: admin, Network: "unix"},
			HTTP:    &upgrade.Listener{Fd: tcp, Network: "tcp"},
			Notify:  &upgrade.Listener{Fd: notifyFd, Network: "unixgram"},
			Sockets: []upgrade.Socket{{Config: messages.SocketConfig{Name: "s"}, Fd: -1}},
			Pipes:   []osproc.FrozenPipe{{Pid: 7, Stream: "stdout", Fd: outR}},
			Proxies: []upgrade.Proxy{{Config: messages.NewProxyConfig("p"), Running: true, Pid: 8, CmdFd: cmdW, StatusFd: statusR, LogFd: logR}},
		}
	}
	if err := verifyFds(good(), homeLock(home)); err != nil {
		t.Fatalf("a good state refused: %v", err)
	}
	// FreeBSD's pipes are two-way, both ends O_RDWR: a FIFO opened so
	// stands for them, as a read end and as a write end
	if err := unix.Mkfifo(filepath.Join(home, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoWay := open("fifo")
	st := good()
	st.Pipes[0].Fd, st.Proxies[0].CmdFd = twoWay, twoWay
	if err := verifyFds(st, homeLock(home)); err != nil {
		t.Fatalf("a two-way pipe refused: %v", err)
	}
	for name, tc := range map[string]struct {
		mutate func(st *upgrade.State)
		want   string
	}{
		"lock not open":          {func(st *upgrade.State) { st.Lock = closed }, "fd 900 (the lock): not open"},
		"lock another file":      {func(st *upgrade.State) { st.Lock = other }, "(the lock): not " + homeLock(home) + " (another file)"},
		"lock a socket":          {func(st *upgrade.State) { st.Lock = admin }, "(the lock): not a regular file (a socket)"},
		"lock home elsewhere":    {func(st *upgrade.State) { st.Home = t.TempDir() }, "(the lock): cannot compare it with"},
		"admin not listening":    {func(st *upgrade.State) { st.Admin.Fd = unlistening }, "(the admin listener): a socket that does not listen"},
		"admin a pipe":           {func(st *upgrade.State) { st.Admin.Fd = outR }, "(the admin listener): not a socket (a pipe)"},
		"http close-on-exec":     {func(st *upgrade.State) { st.HTTP.Fd = int(cloexec.Fd()) }, "(the --http listener): did not cross the exec"},
		"notify a stream socket": {func(st *upgrade.State) { st.Notify.Fd = admin }, "(the notify socket): not a datagram socket"},
		"socket a dgram socket":  {func(st *upgrade.State) { st.Sockets[0].Fd = notifyFd }, "(socket 's'): not a stream socket"},
		"output pipe not open":   {func(st *upgrade.State) { st.Pipes[0].Fd = closed }, "fd 900 (the stdout pipe of pid 7): not open"},
		"output pipe write end":  {func(st *upgrade.State) { st.Pipes[0].Fd = outW }, "(the stdout pipe of pid 7): not the read end of a pipe"},
		"output pipe a file":     {func(st *upgrade.State) { st.Pipes[0].Fd = other }, "(the stdout pipe of pid 7): not a pipe (a regular file)"},
		"proxy cmd a read end":   {func(st *upgrade.State) { st.Proxies[0].CmdFd = cmdR }, "(the command pipe of proxy 'p'): not the write end of a pipe"},
	} {
		st := good()
		tc.mutate(st)
		if err := verifyFds(st, homeLock(st.Home)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	for _, f := range append(files, cloexec) { // refusing closed nothing
		if _, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0); err != nil {
			t.Errorf("%s: fd %d closed: %v", f.Name(), f.Fd(), err)
		}
	}
}
