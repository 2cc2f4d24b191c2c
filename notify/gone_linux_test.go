package notify

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
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
