//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cfk/cfk/internal/nss"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The fork server (Linux, REFERENCE §7.6). A fork copies the parent's fd
// table into the child and the exec then closes every close-on-exec fd of
// that copy: both cost one step per open fd. cfkd with 9,000 running
// services holds 18,000 pipe ends, and every start paid for all of them
// (2.5 ms a fork, against 0.2 ms with a small table): a mass start was
// quadratic. So cfkd forks from a helper process whose fd table holds
// almost nothing: itself, re-executed early (/proc/self/exe with
// forkServerEnv set; init below serves instead of running main), with one
// SOCK_SEQPACKET connection per fork slot. A request carries the spec
// (path, argv, env, dir, session, credential) and, as SCM_RIGHTS, the fds
// the child gets as 0, 1, 2, 3, ...; the helper forks with CLONE_PARENT,
// so the child is cfkd's child as if cfkd had forked it (cfkd's reaper
// reaps it, its exit signal goes to cfkd), and answers the pid or the
// errno. Launch keeps doing everything else (pipes, slots, registration,
// the early exits of a child that dies before it is registered).
//
// The helper is a child of the Launcher, registered like a launched one
// (never taken for an orphan). When it cannot serve a request (it died,
// the request does not fit a datagram, too many fds), cfkd forks itself,
// as before: the helper is a speed-up, never a dependency. A request the
// helper received but did not answer (it died meanwhile) fails with EAGAIN,
// a shortage of cfkd's that is retried, never the service's failure:
// cfkd cannot know whether a child was made. A reply that does not come
// in time (a child hung in its exec) gives the launch up, and keeps its
// connection out of use until it comes (forkwait_linux.go).
//
// The child's environment is as with a direct fork: the helper has cfkd's
// credentials, umask, process group, session and resource limits (taken
// again from cfkd before each fork: forklimits_linux.go), and its
// working directory, which it inherits and neither process changes: an
// empty Dir is sent empty, and the child starts there without a chdir,
// as one cfkd forks itself does (a service with user= and no cwd is not
// refused for a directory its user cannot enter).

// forkServerEnv marks the helper's environment: its value is the number of
// connections it serves, as fds 3, 4, ...
const forkServerEnv = "CFK_OSPROC_FORK_SERVER"

// Datagram bounds: a request larger than maxRequest, or with more fds
// than maxRequestFds, is forked by cfkd itself.
const (
	maxRequest    = 512 << 10
	maxRequestFds = 250
)

func init() {
	if n, err := strconv.Atoi(os.Getenv(forkServerEnv)); err == nil && n > 0 {
		os.Exit(serveForks(n))
	}
}

// forkRequest is one fork: the fds come with it as SCM_RIGHTS, in order.
// Its wire format is forkwire_linux.go's.
type forkRequest struct {
	Path        string
	Argv        []string
	Env         []string
	Dir         string
	Setsid      bool
	Uid         *uint32
	Gid         uint32
	Groups      []uint32
	NoSetGroups bool
	Fds         int
}

// forkReply is the pid, or the errno of a failed fork or exec.
type forkReply struct {
	Pid   int // childFailed with Errno: the child's set-up or exec failed, not the fork
	Errno int
}

// childFailed is forkReply.Pid when the child failed after the fork (the
// errno is the service's: ExecError); 0 with an errno is the fork's.
const childFailed = -1

// forkServer is cfkd's side of the helper.
type forkServer struct {
	pid   int
	conns chan int // the free connections: one per fork under way at most
	all   []int
	dead  atomic.Bool
	gone  atomic.Bool // reaped: its pid may be anyone's now
	log   logrus.FieldLogger

	// mu guards late and closed: the connections whose reply did not
	// come in time, out of conns until it comes (forkwait_linux.go)
	mu     sync.Mutex
	late   map[int]lateKey
	closed bool // stop closed the connections: a late one is its waiter's to close

	// timeout, when above 0, replaces forkTimeout (SetForkTimeout)
	timeout atomic.Int64
}

// startForkServer starts the helper with n connections, as a plain fork
// of cfkd's (the reaper is not running yet): l registers it.
func startForkServer(log logrus.FieldLogger, n int) (*forkServer, error) {
	// /proc/self/exe: this very binary, even if it was replaced or removed
	// on disk since
	const exe = "/proc/self/exe"
	s := &forkServer{conns: make(chan int, n), log: log, late: map[int]lateKey{}}
	files := []uintptr{0, 1, 2}
	var theirs []int
	defer func() {
		for _, fd := range theirs {
			syscall.Close(fd)
		}
	}()
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	files[0], files[1], files[2] = null.Fd(), null.Fd(), uintptr(2) // its crash is seen on cfkd's stderr
	for range n {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			s.closeConns()
			return nil, err
		}
		// a request is one datagram: room for the largest
		unix.SetsockoptInt(p[0], unix.SOL_SOCKET, unix.SO_SNDBUF, maxRequest+4096)
		unix.SetsockoptInt(p[1], unix.SOL_SOCKET, unix.SO_RCVBUF, maxRequest+4096)
		s.all = append(s.all, p[0])
		theirs = append(theirs, p[1])
		files = append(files, uintptr(p[1]))
	}
	attr := &syscall.ProcAttr{
		Env:   []string{forkServerEnv + "=" + strconv.Itoa(n)},
		Files: files,
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	// Pdeathsig follows the thread that forked; that thread is not the
	// leader, so that the services (the fork server's siblings) are not
	// listed with the orphans the kernel hands the leader
	// (OrphanCandidates)
	onOtherThread(func() {
		s.pid, err = syscall.ForkExec(exe, []string{"cfkd-fork-server"}, attr)
	})
	if err != nil {
		s.closeConns()
		return nil, err
	}
	for _, fd := range s.all {
		s.conns <- fd
	}
	return s, nil
}

// closeConns closes the connections, but those whose reply is late: these
// are shut down, which ends their waiter's receive, and the waiter closes
// them (a number closed under a receive could be reused by another file).
func (s *forkServer) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, fd := range s.all {
		if _, late := s.late[fd]; late {
			unix.Shutdown(fd, unix.SHUT_RDWR)
			continue
		}
		syscall.Close(fd)
	}
	s.all = nil
}

// forkExec asks the helper for the fork. served is false when it could not
// be asked: the caller forks itself.
//
// Each of its waits is bounded by forkTimeout, or SetForkTimeout's
// (forkwait_linux.go): for a
// free connection, then for the helper's reply. A reply that does not
// come in time (the child hangs in its chdir or execve, on a hung mount)
// is a *lateFork: nothing is known of a child yet, the connection stays
// out of use, and onLate gets the reply once it comes (from a goroutine
// of its own: the pid of a child to kill, or the error of a fork that
// made none).
func (s *forkServer) forkExec(path string, argv []string, attr *syscall.ProcAttr, onLate func(pid int, err error)) (pid int, err error, served bool) {
	if s == nil || s.dead.Load() || len(attr.Files) > maxRequestFds {
		return 0, nil, false
	}
	// an empty Dir is the helper's working directory, which is cfkd's:
	// the helper inherits it, and neither ever changes it (no Getwd, two
	// stats, for every start)
	req := forkRequest{Path: path, Argv: argv, Env: attr.Env, Dir: attr.Dir, Fds: len(attr.Files)}
	if sys := attr.Sys; sys != nil {
		req.Setsid = sys.Setsid
		if c := sys.Credential; c != nil {
			uid := c.Uid
			req.Uid, req.Gid, req.Groups, req.NoSetGroups = &uid, c.Gid, c.Groups, c.NoSetGroups
		}
	}
	b := appendForkRequest(make([]byte, 0, requestSize(req)), req)
	if len(b) > maxRequest {
		return 0, nil, false
	}
	fds := make([]int, len(attr.Files))
	for i, f := range attr.Files {
		fds[i] = int(f)
	}
	fork, bound := lateKey{path: path, dir: attr.Dir}, s.wait()
	conn, err := s.takeConn(fork, bound)
	if err != nil {
		return 0, err, true // nothing sent: nothing forked
	}
	if err := unix.Sendmsg(conn, b, unix.UnixRights(fds...), nil, 0); err != nil {
		s.conns <- conn
		s.died(err)
		return 0, nil, false // not received: nothing was forked
	}
	rep, err, inTime := s.reply(conn, bound)
	if !inTime {
		s.wentLate(conn, fork, onLate)
		return 0, &lateFork{&nss.TimeoutError{Lookup: fork.String(), After: bound}}, true
	}
	s.conns <- conn
	return s.outcome(rep, err)
}

// outcome is forkExec's answer for the helper's reply rep, or for err,
// the connection's failure.
func (s *forkServer) outcome(rep forkReply, err error) (int, error, bool) {
	if err != nil {
		s.died(err)
		return 0, fmt.Errorf("fork server: %v: %w", err, syscall.EAGAIN), true
	}
	if rep.Pid == notServed {
		s.died(fmt.Errorf("it cannot take cfkd's resource limits: %w", syscall.Errno(rep.Errno)))
		return 0, nil, false // nothing was forked
	}
	if rep.Errno != 0 && rep.Pid == childFailed {
		return 0, &ExecError{Errno: syscall.Errno(rep.Errno)}, true
	}
	if rep.Errno != 0 {
		return 0, syscall.Errno(rep.Errno), true
	}
	return rep.Pid, nil, true
}

// receive reads the helper's reply on conn, waiting as long as it takes.
func receive(conn int) (forkReply, error) {
	var buf [16]byte
	for {
		n, _, _, _, err := unix.Recvmsg(conn, buf[:], nil, 0)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return forkReply{}, err
		case n == 0:
			return forkReply{}, errors.New("connection closed")
		}
		return decodeForkReply(buf[:n])
	}
}

func (s *forkServer) died(err error) {
	if !s.dead.Swap(true) {
		s.log.WithError(err).Warn("fork server lost: cfkd forks its services itself from now on")
	}
}

// exited is the helper's end, seen by the reaper.
func (s *forkServer) exited(ws syscall.WaitStatus) {
	s.gone.Store(true)
	if !s.dead.Swap(true) {
		s.log.WithField("status", int(ws)).Warn("fork server exited: cfkd forks its services itself from now on")
	}
}

// stop ends the helper (its connections closed, it exits) and reaps it
// (the reaper is stopped by then).
func (s *forkServer) stop() {
	if s == nil {
		return
	}
	s.dead.Store(true)
	s.closeConns()
	if s.gone.Load() {
		return
	}
	syscall.Kill(s.pid, syscall.SIGKILL)
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(s.pid, &ws, 0, nil); err != syscall.EINTR {
			return
		}
	}
}

// serveForks is the helper's main: one goroutine per connection, each
// serving one request at a time; it returns when every connection is
// closed.
func serveForks(n int) int {
	// The helper is in cfkd's process group (so are the children it forks
	// without a session of their own): a Ctrl-C or a kill of the group
	// must not end it. The signals are caught, not ignored: an ignored
	// disposition would survive the services' exec.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU)
	go func() {
		for range sigs {
		}
	}()
	helperLimits.parent = os.Getppid()
	// one thread per connection waits in its recvmsg: the helper's
	// threads too are the user's processes (threads.go)
	reserveThreads(helperThreads(n))
	done := make(chan struct{}, n)
	for i := range n {
		fd := 3 + i
		syscall.CloseOnExec(fd)
		go func() {
			serveConn(fd)
			done <- struct{}{}
		}()
	}
	for range n {
		<-done
	}
	return 0
}

func serveConn(conn int) {
	buf := make([]byte, maxRequest+1)
	oob := make([]byte, unix.CmsgSpace(4*maxRequestFds))
	for {
		n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return
		}
		rep := serveOne(buf[:n], oob[:oobn])
		if err := unix.Sendmsg(conn, appendForkReply(nil, rep), nil, nil, 0); err != nil {
			return
		}
	}
}

func serveOne(msg, oob []byte) forkReply {
	var fds []int
	if cmsgs, err := unix.ParseSocketControlMessage(oob); err == nil {
		for _, c := range cmsgs {
			if got, err := unix.ParseUnixRights(&c); err == nil {
				fds = append(fds, got...)
			}
		}
	}
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	req, err := decodeForkRequest(msg)
	if err != nil || req.Fds != len(fds) || len(req.Argv) == 0 {
		return forkReply{Errno: int(syscall.EINVAL)}
	}
	if err := followLimits(); err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) || errno == 0 {
			errno = syscall.EPERM
		}
		return forkReply{Pid: notServed, Errno: int(errno)}
	}
	files := make([]uintptr, len(fds))
	for i, fd := range fds {
		files[i] = uintptr(fd)
	}
	sys := &syscall.SysProcAttr{Setsid: req.Setsid, Cloneflags: syscall.CLONE_PARENT}
	if req.Uid != nil {
		sys.Credential = &syscall.Credential{Uid: *req.Uid, Gid: req.Gid, Groups: req.Groups, NoSetGroups: req.NoSetGroups}
	}
	pid, err, child := forkExecChild(req.Path, req.Argv, &syscall.ProcAttr{Dir: req.Dir, Env: req.Env, Files: files, Sys: sys})
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.EINVAL
		}
		if child {
			return forkReply{Pid: childFailed, Errno: int(errno)}
		}
		return forkReply{Errno: int(errno)}
	}
	return forkReply{Pid: pid}
}

// onOtherThread runs f locked to a thread of cfkd that is not its
// leader (the thread whose tid is cfkd's pid). When the calling
// goroutine is on the leader, it keeps it locked while another goroutine
// runs f, which therefore runs elsewhere.
func onOtherThread(f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if unix.Gettid() != unix.Getpid() {
		f()
		return
	}
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		f()
		close(done)
	}()
	<-done
}
