package e2e

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// REFERENCE §7.3: a TERM while -c FILE loads is a shutdown, then exit 0,
// also while cfkd waits for the file itself: a FIFO no process has open
// for writing (cfkd waits in its open), or one whose writer writes
// nothing (`-c <(gen)`, gen stalled: cfkd waits in a read). cfkd logged
// `shutdown complete` and ran on, holding its home's lock, and `cfkd -d`
// said the TERM it sent on made it shut down.
func TestTermWhileWaitingForTheConfigFile(t *testing.T) {
	t.Parallel()
	for _, writer := range []bool{false, true} {
		name := "no writer"
		if writer {
			name = "a writer that writes nothing"
		}
		t.Run(name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			fifo := filepath.Join(t.TempDir(), "cfk.conf")
			testkit.MakeFIFO(t, fifo)
			d := launchDaemon(t, home, "-c", fifo)
			if writer {
				// the open returns once cfkd has opened the FIFO to read it
				opened := make(chan *os.File, 1)
				go func() {
					w, _ := os.OpenFile(fifo, os.O_WRONLY, 0)
					opened <- w
				}()
				select {
				case w := <-opened:
					if w == nil {
						t.Fatal("cannot open the FIFO to write")
					}
					defer w.Close()
				case <-d.exited:
					t.Fatalf("cfkd exited at start: %v\n%s", d.err, d.stderr.String())
				case <-time.After(deadline):
					t.Fatalf("cfkd never opened its config\n%s", d.stderr.String())
				}
			} else {
				// the console's socket is bound just before the file loads
				end := time.Now().Add(deadline)
				for {
					if _, err := os.Stat(filepath.Join(home, "sock")); err == nil {
						break
					}
					if time.Now().After(end) {
						t.Fatalf("cfkd never bound its console\n%s", d.stderr.String())
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			d.cmd.Process.Signal(syscall.SIGTERM)
			if err := d.waitExit(); err != nil || strings.Contains(d.stderr.String(), fifo) {
				t.Fatalf("cfkd after a TERM while waiting for its config: exit %v, stderr:\n%s", err, d.stderr.String())
			}
			log, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
			if !strings.Contains(string(log), "shut down by a signal while loading "+fifo) {
				t.Errorf("cfkd's log does not say it shut down while loading:\n%s", log)
			}
			checkLastRecord(t, home)
		})
	}
}

// TestTermWhileLoadingRefusesTheWaitingClients: the clients that connect
// while cfkd loads its -c FILE wait in the console's backlog (REFERENCE
// §7.4); a TERM then shuts cfkd down before its console serves, and each
// of them is answered `ERROR: cfkd is shutting down` and closed, as a
// client that connects as a shutdown's drain closes the console is
// (§1.5), which `cfkctl events` takes for the end of a shutdown. The
// listener's close reset them: `cfkctl status` said `read: connection
// reset by peer`, `cfkctl events` that cfkd was lost, crashed or killed.
func TestTermWhileLoadingRefusesTheWaitingClients(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	fifo := filepath.Join(t.TempDir(), "cfk.conf")
	testkit.MakeFIFO(t, fifo)
	d := launchDaemon(t, home, "-c", fifo) // waits in the FIFO's open
	sock := filepath.Join(home, "sock")
	end := time.Now().Add(deadline)
	for { // the console's socket is bound just before the file loads
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd never bound its console\n%s", d.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var clients []net.Conn
	for _, req := range []string{"command status", "command events"} {
		c, err := net.Dial("unix", sock) // into the backlog: nothing accepts yet
		for errors.Is(err, syscall.ECONNREFUSED) && time.Now().Before(end) {
			// the file is made at bind(2), before listen(2): not listening yet
			time.Sleep(10 * time.Millisecond)
			c, err = net.Dial("unix", sock)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte(req + "\r\n")); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	for i, c := range clients {
		c.SetReadDeadline(time.Now().Add(deadline))
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "ERROR: cfkd is shutting down\r\n" {
			t.Errorf("client %d, waiting as cfkd loaded, at its TERM: %q, %v; want ERROR: cfkd is shutting down, then the end", i, got, err)
		}
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd after a TERM while waiting for its config: exit %v, stderr:\n%s", err, d.stderr.String())
	}
}
