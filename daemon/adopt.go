package daemon

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// adoption is what the new cfkd of an upgrade in place takes over
// (REFERENCE §13): the state the former cfkd wrote, and its fds, open in
// this process at the numbers the state names. nil for a plain start.
type adoption struct {
	st   *upgrade.State
	file string
	raw  []byte // the state as read (the file is removed once read)
	// changed: the file was not what the former cfkd wrote, its copy
	// was adopted (statecopy.go)
	changed bool
	// former is the former cfkd's binary, to fall back to (rollback.go)
	former *former
	log    *logrus.Logger // cfkd's, once set up (logTo)
	router *logconf.Router
}

// adoptionFromEnv reads the state named by upgrade.Env, if set, and
// unsets it (no service inherits it). A state that does not decode, is
// not a frozen one (upgrade.State.CheckFrozen), is not what the former
// cfkd wrote (readState: the copy it passed is adopted, not the file), or
// names an fd that is not what it says (verifyFds: one that did not cross the exec, another
// file than home/lock, a socket that does not listen, ...) stops this
// cfkd before it touches anything, no fd closed: the services keep
// running. The file is removed once read, whatever follows: it holds
// every declaration, add_env values included (REFERENCE §13.2). On such
// an error the adoption returned holds what was read, for a rollback
// (adoption.fail).
func adoptionFromEnv(fm *former, execs int) (*adoption, error) {
	file := os.Getenv(upgrade.Env)
	if file == "" {
		return nil, nil
	}
	os.Unsetenv(upgrade.Env)
	raw, changed, err := readState(file, execs)
	var st *upgrade.State
	if err == nil {
		st, err = upgrade.Decode(raw)
	}
	if err == nil {
		err = st.CheckFrozen()
	}
	if err == nil {
		err = verifyFds(st, homeLock(st.Home))
	}
	if err == nil {
		err = adoptFault("state")
	}
	if err != nil {
		// no state to adopt: its fds are left as they came
		a := &adoption{file: file, raw: raw, changed: changed, former: fm}
		return a, fmt.Errorf("cfkd: upgrade in place: %w", err)
	}
	return &adoption{st: st, file: file, raw: raw, changed: changed, former: fm}, nil
}

// lock is the lock the former cfkd held: the flock belongs to the open
// file, which crossed the exec; the pid in it is still this one.
func (a *adoption) lock(path string) (*lock, error) {
	// verifyFds compared it with the state's home; this is the flags'
	if err := sameFile(a.st.Lock, path); err != nil {
		return nil, fmt.Errorf("upgrade: lock fd %d: %w", a.st.Lock, err)
	}
	f := os.NewFile(uintptr(a.st.Lock), path)
	if f == nil {
		return nil, fmt.Errorf("upgrade: lock fd %d is not open", a.st.Lock)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, fmt.Errorf("upgrade: lock fd %d: %w", a.st.Lock, err)
	}
	return &lock{path: path, f: f}, nil
}

// listener is the admin listener the former cfkd accepted on: clients
// that connected meanwhile are in its backlog.
func (a *adoption) listener() (net.Listener, error) {
	ln, err := fileListener(a.st.Admin)
	if err != nil {
		return nil, fmt.Errorf("upgrade: admin listener: %w", err)
	}
	if u, ok := ln.(*net.UnixListener); ok {
		return ownSocket(u, a.st.Admin.Addr), nil // as listen makes it: removed at shutdown
	}
	return ln, nil
}

// http is the --http listener the former cfkd served on, if any.
func (a *adoption) http(c *httpConf) (*httpServer, error) {
	if a.st.HTTP == nil {
		if c == nil {
			return nil, nil
		}
		return listenHTTP(c)
	}
	ln, err := fileListener(a.st.HTTP)
	if err != nil {
		return nil, fmt.Errorf("upgrade: http listener: %w", err)
	}
	if c == nil { // not asked for any more: cannot be, the flags are the same
		ln.Close()
		return nil, nil
	}
	return &httpServer{ln: ln, url: "http://" + c.addr.bound(ln).Addr + "/"}, nil
}

// fileListener is a listener on a dup of l's fd: the fd itself stays
// open at its number until the services are taken over (a rollback hands
// it on, adoption.fail).
func fileListener(l *upgrade.Listener) (net.Listener, error) {
	f, err := dupFile(l.Fd, l.Network+":"+l.Addr)
	if err != nil {
		return nil, err
	}
	defer f.Close() // FileListener made its own dup
	return net.FileListener(f)
}

// dupFile is a close-on-exec dup of fd, which stays open as it is.
func dupFile(fd int, name string) (*os.File, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, fmt.Errorf("fd %d: %w", fd, err)
	}
	return os.NewFile(uintptr(nfd), name), nil
}

// takenOver closes what the adoption kept for a rollback before the
// takeover once the services are this cfkd's: the fds of the listeners
// and notify sockets (this cfkd uses dups of them). The one on the former
// binary stays open until the console serves (served): a failure until
// then rolls back too (rollback_taken.go).
func (a *adoption) takenOver() {
	for _, l := range []*upgrade.Listener{a.st.Admin, a.st.HTTP, a.st.Notify, a.st.NotifyShared} {
		if l != nil {
			unix.Close(l.Fd)
		}
	}
	a.raw = nil // for a rollback before the takeover only
}

// served closes the fd on the former binary: the console serves, there
// is no rollback any more.
func (a *adoption) served() {
	if a != nil {
		a.former.close()
	}
}

// restore makes the tree what the state says, then lets the launcher
// reap: its first wait4 finds the children that died during the exec.
func (a *adoption) restore(tree *actors.Tree, launcher *osproc.Launcher, log *logrus.Logger) error {
	if a.changed {
		log.Warnf("upgrade: %s was changed after the former cfkd wrote it (by another program): the state the former cfkd passed across the exec is adopted", a.file)
	}
	a.checkChildren(log)
	files := map[int]*os.File{}
	for _, s := range a.st.Sockets {
		if s.Fd >= 0 {
			files[s.Fd] = os.NewFile(uintptr(s.Fd), "socket:"+s.Config.Name)
		}
	}
	for _, p := range a.st.Proxies {
		for i, fd := range []int{p.CmdFd, p.StatusFd, p.LogFd} {
			if fd >= 0 {
				files[fd] = os.NewFile(uintptr(fd), "proxy:"+p.Config.Name+":"+[]string{"cmd", "status", "log"}[i])
			}
		}
	}
	r, err := tree.Request(actors.RestoreState{State: a.st, Files: files}, 30*time.Second)
	if err == nil {
		err = r.Err
	}
	if err == nil {
		err = adoptFault("restore")
	}
	launcher.Thaw()
	if err != nil {
		return fmt.Errorf("upgrade: %w", err)
	}
	a.takenOver()
	if why := a.rolledBack(); why != "" {
		log.Infof("upgrade rolled back: %d services adopted again (state written %s ago)",
			len(a.st.Services), time.Since(a.st.Written).Round(time.Millisecond))
		return nil
	}
	log.Infof("upgraded in place from cfkd %s: %d services adopted (state written %s ago)",
		a.st.CfkdVersion, len(a.st.Services), time.Since(a.st.Written).Round(time.Millisecond))
	return nil
}

// notifyFile is the notify socket the former cfkd served, nil when none
// crossed (or no adoption).
func (a *adoption) notifyFile() *os.File {
	if a == nil || a.st.Notify == nil {
		return nil
	}
	f, err := dupFile(a.st.Notify.Fd, "notify")
	if err != nil {
		return nil // verifyFds saw it open: cannot be
	}
	return f
}

// notifyShared is the shared notify socket the former cfkd served, its
// "@NAME" and the uids it took; nil when none crossed (or no adoption).
func (a *adoption) notifyShared() (f *os.File, addr string, uids []int) {
	if a == nil || a.st.NotifyShared == nil {
		return nil, "", nil
	}
	f, err := dupFile(a.st.NotifyShared.Fd, "notify-shared")
	if err != nil {
		return nil, "", nil // verifyFds saw it open: cannot be
	}
	return f, a.st.NotifyShared.Addr, a.st.NotifyUids
}

// logConfig is the text of the log configuration in force in the former
// cfkd, nil when no adoption (the file is read).
func (a *adoption) logConfig() []byte {
	if a == nil {
		return nil
	}
	if a.st.LogConfigText == "" {
		return nil
	}
	return []byte(a.st.LogConfigText)
}

// checkChildren makes sure every process the state says is cfkd's child
// is one (alive or a zombie not yet reaped: nothing reaps before the
// adoption), where /proc tells (Linux): a pid that is not is not adopted
// (never signalled: it may be anyone's), and its service hears of it as
// of an exit by SIGKILL, a crash. A state cfkd wrote never has one.
func (a *adoption) checkChildren(log *logrus.Logger) {
	if runtime.GOOS != "linux" {
		return
	}
	me := os.Getpid()
	ours := func(pid int) bool {
		info, ok := osproc.ReadProc(pid)
		return ok && info.Ppid == me
	}
	gone := func(pid int) bool {
		if ours(pid) {
			return false
		}
		log.WithField("pid", pid).Warn("upgrade: the state names a process that is not cfkd's child: not adopted")
		return true
	}
	for i := range a.st.Services {
		s := &a.st.Services[i]
		lc := s.Lifecycle
		if lc.Pid == 0 || lc.Proxied || !lc.State.IsUp() || slices.ContainsFunc(s.Exits, func(e upgrade.Exit) bool { return e.Pid == lc.Pid }) {
			continue
		}
		if gone(lc.Pid) {
			s.Exits = append(s.Exits, upgrade.Exit{Pid: lc.Pid, Status: syscall.WaitStatus(syscall.SIGKILL)})
		}
	}
	for i := range a.st.Proxies {
		p := &a.st.Proxies[i]
		if !p.Running || p.Pid == 0 || slices.ContainsFunc(p.Exits, func(e upgrade.Exit) bool { return e.Pid == p.Pid }) {
			continue
		}
		if gone(p.Pid) {
			p.Exits = append(p.Exits, upgrade.Exit{Pid: p.Pid, Status: syscall.WaitStatus(syscall.SIGKILL)})
		}
	}
}
