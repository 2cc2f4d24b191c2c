package notify

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A datagram whose sender exited and was reaped before Serve read it (a
// client that sends and exits at once, `systemd-notify --no-block` as a
// user other than root) says so: Gone, no group, as nothing tells whose
// it was any more and its pid may be another process's since (REFERENCE
// §2.9). A live sender's is not Gone. The sender's pidfd (SO_PASSPIDFD,
// Linux 6.5) is closed: no fd is left per datagram.
func TestDatagramOfAReapedSenderIsGone(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no python3 to send from a process of its own")
	}
	l, err := Listen(filepath.Join(t.TempDir(), "notify"))
	if err != nil {
		t.Fatal(err)
	}
	// sent and reaped before anything reads the socket
	c := exec.Command("/usr/bin/python3", "-c", `import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(("READY=1\nSTATUS=%d" % os.getpid()).encode(), sys.argv[1])`, l.Path)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("the sender: %v %s", err, out)
	}
	reaped := c.Process.Pid
	fds := countFds(t)
	ch := make(chan Message, 100)
	done := make(chan struct{})
	go func() { defer close(done); l.Serve(func(m Message) { ch <- m }) }()
	t.Cleanup(func() { l.Close(); <-done })
	m := recv(t, ch)
	if m.Pid != reaped || !m.Gone || m.Pgid != 0 || m.Fields["READY"] != "1" {
		t.Errorf("from the reaped sender %d: %+v, want Gone, pgid 0", reaped, m)
	}
	for range 20 {
		send(t, l.Path, []byte("WATCHDOG=1"), nil)
		if m := recv(t, ch); m.Pid != os.Getpid() || m.Gone || m.Pgid != syscall.Getpgrp() {
			t.Fatalf("from a live sender: %+v, want pid %d pgid %d, not Gone", m, os.Getpid(), syscall.Getpgrp())
		}
	}
	if n := countFds(t); n > fds {
		t.Errorf("%d fds open after 21 datagrams, %d before: a pidfd left open per datagram?", n, fds)
	}
}

// countFds counts the test process's open fds.
func countFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	return len(ents)
}

// systemd-notify without --no-block sends BARRIER=1 with the write end of
// a pipe and exits once it is closed; its parent (the service's shell)
// reaps it at once. The datagram is read, its group looked up, and only
// then its fds closed: it is not Gone, and cfkd does not warn that a
// datagram was dropped (REFERENCE §2.9: such a sender "is not
// concerned"). Its group was looked up after the close, and a sender
// reaped in between made the datagram Gone.
func TestBarrierSenderIsNotGone(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no python3 to send from a process of its own")
	}
	var sender atomic.Int64
	reaped := make(chan struct{})
	beforeGroup = func(pid int) {
		if int64(pid) != sender.Load() {
			return
		}
		select { // the sender, were its fd closed, would exit and be reaped meanwhile
		case <-reaped:
		case <-time.After(time.Second):
		}
	}
	t.Cleanup(func() { beforeGroup = func(int) {} })
	l, ch := listen(t)
	c := exec.Command("/usr/bin/python3", "-c", `import os, socket, sys
r, w = os.pipe()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendmsg([b"BARRIER=1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, w.to_bytes(4, sys.byteorder))], 0, sys.argv[1])
os.close(w)
os.read(r, 1)`, l.Path)
	stopped := false
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sender.Store(int64(c.Process.Pid))
	go func() { c.Wait(); close(reaped) }()
	t.Cleanup(func() {
		if !stopped {
			c.Process.Kill()
			<-reaped
		}
	})
	m := recv(t, ch)
	if m.Pid != c.Process.Pid || m.Gone || m.Pgid != syscall.Getpgrp() || m.Fields["BARRIER"] != "1" {
		t.Errorf("BARRIER=1 of a live sender: %+v, want pid %d pgid %d, not Gone", m, c.Process.Pid, syscall.Getpgrp())
	}
	select { // its fd closed, the sender ends
	case <-reaped:
		stopped = true
	case <-time.After(5 * time.Second):
		t.Fatal("the sender did not end: its BARRIER=1's fd is still open")
	}
}
