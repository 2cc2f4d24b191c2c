//go:build linux

// These tests send datagrams with and without SCM_CREDENTIALS: notify
// works on Linux only (cred_other.go).

package notify

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func listen(t *testing.T) (*Listener, chan Message) {
	t.Helper()
	l, err := Listen(filepath.Join(t.TempDir(), "notify"))
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Message, 1000)
	done := make(chan struct{})
	go func() { defer close(done); l.Serve(func(m Message) { ch <- m }) }()
	t.Cleanup(func() { l.Close(); <-done })
	return l, ch
}

func send(t *testing.T, path string, msg []byte, oob []byte) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Sendmsg(fd, msg, oob, &syscall.SockaddrUnix{Name: path}, 0); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, ch chan Message) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram delivered")
		return Message{}
	}
}

// A datagram arrives with the sender's pid and group, as the kernel says,
// and its fields.
func TestDatagramWithCredentials(t *testing.T) {
	l, ch := listen(t)
	send(t, l.Path, []byte("READY=1\nSTATUS=warming up\nnonsense"), nil)
	m := recv(t, ch)
	if m.Pid != os.Getpid() || m.Pgid != syscall.Getpgrp() {
		t.Fatalf("pid %d pgid %d, want %d %d", m.Pid, m.Pgid, os.Getpid(), syscall.Getpgrp())
	}
	if m.Fields["READY"] != "1" || m.Fields["STATUS"] != "warming up" || len(m.Fields) != 2 {
		t.Fatalf("fields %v", m.Fields)
	}
}

// An fd passed in a datagram (systemd-notify's BARRIER=1) is closed at
// once: the sender sees the other end of its pipe hang up.
func TestPassedFdsAreClosed(t *testing.T) {
	l, ch := listen(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	send(t, l.Path, []byte("BARRIER=1"), syscall.UnixRights(int(w.Fd())))
	w.Close() // ours; the listener's copy is the last one
	recv(t, ch)
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := r.Read(make([]byte, 1)); n != 0 || err == nil || os.IsTimeout(err) {
		t.Fatalf("read %d, %v: the passed fd is still open", n, err)
	}
}

// A flood from one sender is cut to the burst, then the rate.
func TestFloodIsBounded(t *testing.T) {
	l, ch := listen(t)
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: l.Path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	begin := time.Now()
	const sent = 2000
	for range sent {
		c.Write([]byte("WATCHDOG=1"))
	}
	// the marker, once the sender has earned a few tokens back
	time.Sleep(200 * time.Millisecond)
	send(t, l.Path, []byte("LAST=1"), nil)
	got := 0
	for {
		m := recv(t, ch)
		got++
		if m.Fields["LAST"] == "1" || got > sent {
			break
		}
	}
	max := Burst + int(time.Since(begin).Seconds()*Rate) + 2
	if got > max {
		t.Fatalf("%d datagrams delivered of %d, want at most %d", got, sent, max)
	}
}

// An oversized datagram is dropped whole: none of its fields is read,
// not even a READY=1 at its start. Its sender is delivered, marked
// Oversize, so that cfkd can say why that READY=1 did nothing (it was
// dropped without a word: a service that sent READY=1 with a long
// STATUS= was stopped 'Not ready after 60s').
func TestOversizedDropped(t *testing.T) {
	l, ch := listen(t)
	big := []byte("READY=1\nSTATUS=" + strings.Repeat("x", MaxDatagram))
	send(t, l.Path, big, nil)
	send(t, l.Path, []byte("READY=1"), nil)
	if m := recv(t, ch); !m.Oversize || len(m.Fields) != 0 || m.Pid != os.Getpid() {
		t.Fatalf("got %+v first, want the oversized datagram's sender, marked, no fields", m)
	}
	if m := recv(t, ch); m.Oversize || m.Fields["READY"] != "1" {
		t.Fatalf("got %+v second, want READY=1", m)
	}
}

// The shared socket (abstract, any local user can reach it) takes the
// datagrams of the uids allowed on it only, before any rate limit: a
// flood from another uid is not even counted. An upgrade in place hands
// it over with its uids (SharedFromFile).
func TestSharedTakesOnlyAllowedUids(t *testing.T) {
	l, err := ListenShared()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.Path, "@cfkd-notify-") || len(l.Path) != len("@cfkd-notify-")+16 {
		t.Fatalf("address %q", l.Path)
	}
	ch := make(chan Message, 1000)
	done := make(chan struct{})
	go func() { defer close(done); l.Serve(func(m Message) { ch <- m }) }()
	l.Acquire(os.Getuid())
	if os.Getuid() == 0 {
		// another uid floods it first: not counted, or the limiter
		// would drop what follows
		sendAs(t, 65534, l.Path, "NOT=allowed", 3*Burst)
	} else {
		t.Log("not root: no datagram of another uid sent")
	}
	send(t, l.Path, []byte("READY=1"), nil)
	if m := recv(t, ch); m.Fields["READY"] != "1" {
		t.Fatalf("got %v first: a datagram of a uid not allowed was delivered", m.Fields)
	}
	if got := l.Allowed(); !slices.Equal(got, []int{os.Getuid()}) {
		t.Fatalf("allowed %v", got)
	}

	// handed over: the same address, the same uids
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	<-done
	m, err := SharedFromFile(l.Path, f, l.Allowed())
	if err != nil {
		t.Fatal(err)
	}
	ch2 := make(chan Message, 10)
	done = make(chan struct{})
	go func() { defer close(done); m.Serve(func(x Message) { ch2 <- x }) }()
	t.Cleanup(func() { m.Close(); <-done })
	send(t, m.Path, []byte("WATCHDOG=1"), nil)
	if x := recv(t, ch2); x.Fields["WATCHDOG"] != "1" || x.Uid != os.Getuid() || !x.Shared {
		t.Fatalf("after the hand-over: %+v", x)
	}
	// the adopted runs acquire their own; the former cfkd's go
	m.Acquire(os.Getuid())
	m.DropInherited()
	send(t, m.Path, []byte("STILL=1"), nil)
	if x := recv(t, ch2); x.Fields["STILL"] != "1" {
		t.Fatalf("with a run of the uid left: %v", x.Fields)
	}
	if os.Getuid() != 0 {
		return
	}
	// a uid's last run gone: its datagrams are no longer taken
	m.Acquire(65534)
	m.Acquire(65534)
	sendAs(t, 65534, m.Path, "ONE=1")
	if x := recv(t, ch2); x.Fields["ONE"] != "1" || x.Uid != 65534 {
		t.Fatalf("from an allowed uid: %+v", x)
	}
	m.Release(65534)
	sendAs(t, 65534, m.Path, "TWO=1") // one run left
	if x := recv(t, ch2); x.Fields["TWO"] != "1" {
		t.Fatalf("with one run of the uid left: %+v", x)
	}
	m.Release(65534)
	sendAs(t, 65534, m.Path, "GONE=1")
	send(t, m.Path, []byte("MINE=1"), nil)
	if x := recv(t, ch2); x.Fields["MINE"] != "1" {
		t.Fatalf("got %v first: taken with no run of its uid left", x.Fields)
	}
	if _, err := SharedFromFile("/not/abstract", f, nil); err == nil {
		t.Fatal("a path taken for a shared socket's address")
	}
}

// sendAs sends msg (times times, once if none) to the abstract socket
// addr ("@NAME") from a process of uid (the tests run as root).
func sendAs(t *testing.T, uid int, addr, msg string, times ...int) {
	t.Helper()
	n := 1
	if len(times) > 0 {
		n = times[0]
	}
	c := exec.Command("/usr/bin/python3", "-c", `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[3])):
    s.sendto(sys.argv[2].encode(), "\0" + sys.argv[1][1:])`, addr, msg, strconv.Itoa(n))
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("the sender as uid %d: %v %s", uid, err, out)
	}
}

// Paused, Serve reads nothing: a datagram sent meanwhile stays in the
// socket (an upgrade in place hands it to the new cfkd there, REFERENCE
// §13), and once resumed Serve delivers what comes. Pause returns at
// once when Serve is in a read.
func TestPauseLeavesDatagramsInTheSocket(t *testing.T) {
	l, ch := listen(t)
	send(t, l.Path, []byte("STATUS=before"), nil)
	if m := recv(t, ch); m.Fields["STATUS"] != "before" {
		t.Fatalf("fields %v", m.Fields)
	}
	l.Pause()
	send(t, l.Path, []byte("READY=1"), nil)
	// read it from the socket itself: Serve did not take it
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syscall.SetNonblock(int(f.Fd()), false)
	tv := syscall.NsecToTimeval(int64(5 * time.Second))
	if err := syscall.SetsockoptTimeval(int(f.Fd()), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _, err := syscall.Recvfrom(int(f.Fd()), buf, 0)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("the socket holds %q (%v), want READY=1", buf[:max(n, 0)], err)
	}
	select {
	case m := <-ch:
		t.Fatalf("paused, Serve delivered %v", m.Fields)
	default:
	}
	l.Resume()
	send(t, l.Path, []byte("STATUS=after"), nil)
	if m := recv(t, ch); m.Fields["STATUS"] != "after" {
		t.Fatalf("fields %v, want the datagram sent once resumed", m.Fields)
	}
}

// A path longer than sun_path holds was refused by the kernel's bind as
// `bind: invalid argument`, which named no cause (REFERENCE §7.2).
func TestListenPathTooLong(t *testing.T) {
	dir := t.TempDir()
	max := len(syscall.RawSockaddrUnix{}.Path) - 1
	long := filepath.Join(dir, strings.Repeat("x", max-len(dir)))
	_, err := Listen(long)
	if err == nil || !strings.Contains(err.Error(), "UNIX socket path too long (108 bytes, max 107)") {
		t.Fatalf("Listen(a path of %d bytes): %v, want it said too long", len(long), err)
	}
}
