package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestWireFraming checks the admin protocol byte for byte (REFERENCE §1.5).
func TestWireFraming(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.raw("command version\r\n", "cfk "+messages.Version+"\nOK\r\n")
	c.raw("command list\n", "OK\r\n") // bare \n accepted; empty body
	c.raw("bogus\r\n", "ERROR: unknown command 'bogus'\r\n")
	c.raw("\r\n", "ERROR: command is void\r\n")
	c.raw("   # only a comment\r\n", "ERROR: command is void\r\n")
	c.raw("service svc1 cmd=sleep 100\r\n", "OK\r\n")
	c.raw("service svc1 startwait_secs=x\r\n",
		"ERROR: invalid value for startwait_secs: \"x\" (want a number of seconds >= 0 and <= 86400)\r\n")
	// pipelined requests: one reply each, in order
	c.raw("command list\r\ncommand version\r\nbogus\r\ncommand list\r\n",
		"svc1\nOK\r\ncfk "+messages.Version+"\nOK\r\nERROR: unknown command 'bogus'\r\nsvc1\nOK\r\n")
	// a line past the limit is refused and the connection stays usable
	c.raw(strings.Repeat("x", 70000)+"\r\n", "ERROR: line too long (max 65536 bytes)\r\n")
	c.raw("command list\r\n", "svc1\nOK\r\n")
	c.raw("command status\r\n", "svc1\tstopped\t\t\t\t\t\t\nOK\r\n")
	// exit closes the connection
	if _, err := c.conn.Write([]byte("EXIT\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.r.ReadByte(); err == nil {
		t.Fatal("connection still open after exit")
	}
}

// TestTutorialOverTheSocket redoes the original tutorial's socket session
// and its kill -9 scenario.
func TestTutorialOverTheSocket(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service svc1 cmd=sleep 100", "service svc1 startwait_secs=0.2")
	if l := c.ok("command start service svc1"); l[0] != "done 1" {
		t.Fatalf("start: %q", l)
	}
	c.until("svc1 running", func() bool { return c.status("svc1")[1] == "running" })
	first, _ := strconv.Atoi(c.status("svc1")[2])
	if first == 0 {
		t.Fatal("no pid")
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", first))
	for _, want := range []string{"CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=svc1", "CFKD_HOME=" + d.home} {
		if !strings.Contains(string(env), want) {
			t.Errorf("service env lacks %s", want)
		}
	}
	syscall.Kill(first, syscall.SIGKILL)
	c.until("svc1 back with a new pid", func() bool {
		st := c.status("svc1")
		return st[1] == "running" && st[2] != strconv.Itoa(first)
	})
	for _, want := range []string{"starting svc1", "child terminated abnormally", "Received signal 9", "new connection to admin"} {
		waitLog(t, d.home, want)
	}
	if l := c.ok("command stop service svc1"); l[0] != "done 1" {
		t.Fatalf("stop: %q", l)
	}
	c.until("svc1 stopped", func() bool { return c.status("svc1")[1] == "stopped" })
}

// TestHomeAndSocketModes: the privileged socket is only its owner's.
func TestHomeAndSocketModes(t *testing.T) {
	d := startDaemon(t, "")
	for path, want := range map[string]os.FileMode{d.home: 0o700, d.sock: 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	lock, _ := os.ReadFile(filepath.Join(d.home, "lock"))
	if strings.TrimSpace(string(lock)) != strconv.Itoa(d.cmd.Process.Pid) {
		t.Errorf("lock holds %q, want cfkd's pid %d", lock, d.cmd.Process.Pid)
	}
}

// TestManyClientsAndASlowOne: hundreds of clients at once get every reply
// in order, while one client that never reads its replies delays nobody.
func TestManyClientsAndASlowOne(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service a cmd=sleep 100", "service b cmd=sleep 100")
	slow, err := net.Dial("unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	go func() { // floods requests and never reads a byte of the replies
		big := []byte(strings.Repeat("command status\r\n", 1000))
		for i := 0; i < 50; i++ {
			if _, err := slow.Write(big); err != nil {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := d.dialQuiet()
			if cl == nil {
				errs <- fmt.Errorf("dial failed")
				return
			}
			defer cl.conn.Close()
			for j := 0; j < 10; j++ {
				r, err := cl.try("command list")
				if err != nil || len(r.Lines) != 2 || r.Lines[0] != "a" {
					errs <- fmt.Errorf("reply %v %v", r, err)
					return
				}
				r, err = cl.try("command version")
				if err != nil || r.Lines[0] != "cfk "+messages.Version {
					errs <- fmt.Errorf("reply %v %v", r, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	start := time.Now()
	c.ok("command start service a")
	if time.Since(start) > 2*time.Second {
		t.Fatal("supervision slowed down by the clients")
	}
}

func (d *daemon) dialQuiet() *client {
	conn, err := net.Dial("unix", d.sock)
	if err != nil {
		return nil
	}
	conn.SetDeadline(time.Now().Add(deadline))
	return &client{t: d.t, conn: conn, r: newReader(conn)}
}
