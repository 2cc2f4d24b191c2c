package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/cfk/cfk/osproc"
)

// detachedEnv marks the re-executed, detached cfkd; readyFd is the fd on
// which it reports to the parent that started it.
const (
	detachedEnv = "_CFKD_DETACHED"
	readyFd     = 3
)

// errDetachAsInit refuses -d to a cfkd that is PID 1 (`docker run IMAGE
// cfkd -d`): it printed that its cfkd ran in the background and exited 0,
// and the kernel killed the whole PID namespace with it, the detached cfkd
// and its services (SIGKILL, no stop), their lock and sockets left behind.
var errDetachAsInit = errors.New("cfkd: -d: cfkd is PID 1 (the init of a container or a PID namespace): " +
	"the cfkd it detached, and every service, would be killed as soon as it exits; run cfkd in the foreground (without -d)")

// detach re-executes cfkd in a new session with stdio on /dev/null and
// returns once it reports that its console accepts connections (or why it
// failed). The parent waits for no process: the child is released.
func detach(args []string, stdout, stderr io.Writer, f Flags) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("cfkd: cannot find my executable: %w", err)
	}
	// the detached cfkd gets stdio and the ready pipe, nothing else of its
	// caller's: one it held for its lifetime (a pipe the caller reads to
	// its end, a log file) kept the caller waiting, or the file open; but
	// those its flags name (-c /dev/fd/63) are kept
	if err := osproc.CloexecInherited(); err != nil {
		return fmt.Errorf("cfkd: cannot detach: %w", err)
	}
	keepNamedFds(f)
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("cfkd: %w", err)
	}
	defer r.Close()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		w.Close()
		return fmt.Errorf("cfkd: %w", err)
	}
	defer null.Close()
	// a SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT while it waits is sent
	// on to the detached cfkd, which shuts down (REFERENCE §7.3): it ran on
	// unseen, loading and starting services, once the parent that a user or
	// an init system gave up on had died of it. A HUP or INT that cfkd was
	// started with ignored (`nohup cfkd -d`) stays ignored here, so that
	// the detached cfkd inherits it ignored and keeps it so (startIgnored):
	// caught, it was sent on, and a logout while the parent waited shut
	// down every service.
	sigs := make(chan os.Signal, 1)
	for _, s := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		if !slices.Contains(f.startIgnored, s) {
			signal.Notify(sigs, s)
		}
	}
	defer signal.Stop(sigs)
	p, err := os.StartProcess(exe, append([]string{exe}, args...), &os.ProcAttr{
		Env:   append(os.Environ(), detachedEnv+"=1"),
		Files: []*os.File{null, null, null, w},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	w.Close()
	if err != nil {
		return fmt.Errorf("cfkd: cannot detach: %w", err)
	}
	pid := p.Pid
	p.Release()
	said := make(chan string, 1)
	go func() {
		// warnings (a -c line whose services did not all start) come
		// before the outcome, printed as they come
		br := bufio.NewReader(r)
		for {
			line, _ := br.ReadString('\n')
			msg, ok := strings.CutPrefix(line, "warn ")
			if !ok {
				said <- line
				return
			}
			fmt.Fprintf(stderr, "cfkd: warning: %s\n", strings.TrimSuffix(msg, "\n"))
		}
	}()
	var line string
	select {
	case line = <-said:
	case s := <-sigs:
		// never waited for, the child is at worst a zombie of this
		// process: its pid is not anyone else's
		sig, _ := s.(syscall.Signal)
		if f.Trap {
			// the detached cfkd would drop it (-t): it was said to shut
			// down, exit 1, while it ran on
			return fmt.Errorf("cfkd: %v before the detached cfkd (pid %d) was ready: not sent on (-t): it runs on", s, pid)
		}
		if err := syscall.Kill(pid, sig); err != nil {
			return fmt.Errorf("cfkd: %v before the detached cfkd (pid %d) was ready; it could not be sent on: %w", s, pid, err)
		}
		return fmt.Errorf("cfkd: %v before the detached cfkd (pid %d) was ready: sent on to it, it shuts down", s, pid)
	}
	line = strings.TrimSpace(line)
	if msg, ok := strings.CutPrefix(line, "ok "); ok {
		fmt.Fprintf(stdout, "cfkd running in the background as pid %d, console on %s\n", pid, msg)
		return nil
	}
	if msg, ok := strings.CutPrefix(line, "error "); ok {
		if text, err := strconv.Unquote(msg); err == nil {
			msg = text // its lines (notifier.fail)
		}
		return errors.New(msg)
	}
	return fmt.Errorf("cfkd: the detached cfkd (pid %d) exited before it was ready", pid)
}

// notifier tells the parent of a detached cfkd how the start went. In the
// foreground it does nothing, but for the warnings, said on stderr.
type notifier struct {
	w      *os.File
	stderr io.Writer
}

func readiness(stderr io.Writer) *notifier {
	if os.Getenv(detachedEnv) == "" {
		return &notifier{stderr: stderr}
	}
	os.Unsetenv(detachedEnv)
	return &notifier{w: os.NewFile(readyFd, "ready"), stderr: stderr}
}

// warn says what the user must know of a start that goes on: on stderr,
// or by the parent of a detached cfkd, on its stderr (REFERENCE §7.4).
func (n *notifier) warn(msg string) {
	msg = strings.ReplaceAll(msg, "\n", " ")
	if n.w == nil {
		fmt.Fprintf(n.stderr, "cfkd: warning: %s\n", msg)
		return
	}
	fmt.Fprintln(n.w, "warn "+msg)
}

// ok says where cfkd listens: the console's address (and the status
// page's URL with --http).
func (n *notifier) ok(where string) { n.say("ok " + where) }

// fail says why cfkd could not start: quoted, so that an error of
// several lines (a config file's bad lines) stays so for the parent.
func (n *notifier) fail(err error) { n.say("error " + strconv.Quote(err.Error())) }

func (n *notifier) say(s string) {
	if n.w == nil {
		return
	}
	fmt.Fprintln(n.w, s)
	n.w.Close()
	n.w = nil
}
