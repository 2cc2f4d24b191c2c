package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Bounds of what a sender may cost.
const (
	MaxDatagram = 4096
	Burst       = 64
	Rate        = 32.0 // datagrams a second per sender, after the burst
	GlobalRate  = 2000.0
	// on the shared socket, all the processes of one uid together
	UidBurst   = 4 * Burst
	UidRate    = GlobalRate / 8
	maxSenders = 4096 // rate-limit records kept; older ones are forgotten
)

// Message is one datagram: who sent it and what it says.
type Message struct {
	Pid    int               // the sender, as the kernel says
	Pgid   int               // its process group, 0 if it is gone already
	Gone   bool              // the sender was reaped before its datagram was read (Pgid 0): see senderGroup
	Uid    int               // the sender's uid, as the kernel says
	Shared bool              // it came in on the shared socket (ListenShared)
	Fields map[string]string // READY=1, STATUS=..., ...
	// Oversize: the datagram was over MaxDatagram bytes, and its fields
	// are not read (Fields is empty): delivered so that the service it
	// is from can be told why its READY=1 or STATUS= did nothing
	Oversize bool
}

// Listener is a notify socket.
type Listener struct {
	Path string // a file's path, or "@NAME" for Linux's abstract namespace
	conn *net.UnixConn
	// file: what Path was once bound (nil: abstract, or not known); Close
	// removes Path only while it is still that file
	file os.FileInfo
	once sync.Once
	// shared: an abstract socket any local user can reach (ListenShared):
	// it takes datagrams only from the uids allowed on it, each counted
	// once for every run given the socket (Acquire, Release), and those
	// a former cfkd allowed until DropInherited
	shared    bool
	mu        sync.Mutex
	allowed   map[int]int // uid -> runs
	inherited []int
	// Pause and Resume: paused asks Serve to read nothing more; parked
	// says it does not (it waits for Resume); serving that Serve runs
	pmu                     sync.Mutex
	pcond                   *sync.Cond
	paused, parked, serving bool
}

func (l *Listener) cond() *sync.Cond {
	if l.pcond == nil {
		l.pcond = sync.NewCond(&l.pmu)
	}
	return l.pcond
}

// Pause stops Serve's reads until Resume, and returns once every
// datagram Serve has read is delivered: what comes meanwhile waits in
// the socket. An upgrade in place pauses before its final state, so that
// a datagram of the exec's moment (a READY=1) crosses in the socket
// rather than reach a service once its state is written (REFERENCE §13).
func (l *Listener) Pause() {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	l.paused = true
	l.conn.SetReadDeadline(time.Now()) // ends the read under way
	for l.serving && !l.parked {
		l.cond().Wait()
	}
}

// Resume undoes Pause.
func (l *Listener) Resume() {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	l.paused = false
	l.conn.SetReadDeadline(time.Time{})
	l.cond().Broadcast()
}

// park waits while Serve is paused.
func (l *Listener) park() {
	l.pmu.Lock()
	defer l.pmu.Unlock()
	for l.paused {
		if !l.parked {
			l.parked = true
			l.cond().Broadcast()
		}
		l.cond().Wait()
	}
	l.parked = false
}

// Listen creates the datagram socket at path (a stale file there is
// removed), mode 0666 so that services running as other users can send.
// Where the kernel cannot say who sent a datagram (Supported is false) it
// fails with ErrUnsupported.
func Listen(path string) (*Listener, error) {
	if !Supported {
		return nil, fmt.Errorf("notify socket %s: %w", path, ErrUnsupported)
	}
	if path == "" {
		return nil, errors.New("notify socket: no path")
	}
	if max := len(syscall.RawSockaddrUnix{}.Path) - 1; len(path) > max {
		// the kernel's bind says only "invalid argument" (REFERENCE §7.2)
		return nil, fmt.Errorf("notify socket %s: UNIX socket path too long (%d bytes, max %d)", path, len(path), max)
	}
	if path[0] == '@' {
		// abstract: no file to remove
	} else if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("notify socket %s: %w", path, err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket %s: %w", path, err)
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = passCred(int(fd))
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify socket %s: SO_PASSCRED: %w", path, err)
	}
	if path[0] != '@' {
		os.Chmod(path, 0o666)
	}
	return &Listener{Path: path, conn: conn, file: socketFile(path)}, nil
}

// socketFile is what the socket file at path is now (nil for an abstract
// name, or a path that cannot be read).
func socketFile(path string) os.FileInfo {
	if path == "" || path[0] == '@' {
		return nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	return fi
}

// ListenShared creates the socket for services run as users that cannot
// enter cfkd's home (REFERENCE §2.9): in Linux's abstract namespace, under
// a name of its own ("@cfkd-notify-" and 16 random hex digits), so that
// it has no file and no mode. Any local process can send to it; it takes
// a datagram only from a uid Allow named (the kernel says who sent it),
// before any rate limit counts it: another user's flood costs the
// services of the allowed users nothing.
func ListenShared() (*Listener, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	l, err := Listen("@cfkd-notify-" + hex.EncodeToString(b[:]))
	if err != nil {
		return nil, err
	}
	l.shared, l.allowed = true, map[int]int{}
	return l, nil
}

// Acquire makes a shared socket take the datagrams of uid, for one more
// run of that uid given the socket (a no-op on cfkd's own socket, which
// takes every uid that can reach it).
func (l *Listener) Acquire(uid int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shared {
		l.allowed[uid]++
	}
}

// Release undoes one Acquire of uid: once no run of uid is left, the
// socket no longer takes its datagrams.
func (l *Listener) Release(uid int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.allowed[uid]; n > 1 {
		l.allowed[uid] = n - 1
	} else {
		delete(l.allowed, uid)
	}
}

// DropInherited releases the uids SharedFromFile took over, once the
// runs adopted from the former cfkd acquired their own.
func (l *Listener) DropInherited() {
	l.mu.Lock()
	uids := l.inherited
	l.inherited = nil
	l.mu.Unlock()
	for _, uid := range uids {
		l.Release(uid)
	}
}

// Allowed lists the uids the socket takes, for an upgrade in place.
func (l *Listener) Allowed() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	uids := make([]int, 0, len(l.allowed))
	for uid := range l.allowed {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	return uids
}

// takes says whether the socket takes a datagram of uid.
func (l *Listener) takes(uid int) bool {
	if !l.shared {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.allowed[uid] > 0
}

// Serve reads datagrams until Close, handing each one that passes the
// bounds to deliver (from Serve's goroutine).
func (l *Listener) Serve(deliver func(Message)) {
	buf := make([]byte, MaxDatagram+1)
	oob := make([]byte, credSpace+syscall.CmsgSpace(4*64))
	lim := newLimiter()
	l.pmu.Lock()
	l.serving = true
	l.pmu.Unlock()
	defer func() {
		l.pmu.Lock()
		l.serving = false
		l.cond().Broadcast()
		l.pmu.Unlock()
	}()
	for {
		l.park()
		n, oobn, flags, _, err := l.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a datagram the kernel could not deliver whole, or Pause's deadline
		}
		pid, uid, pidfd, rights := rightsAndCred(oob[:oobn])
		oversize := n > MaxDatagram || flags&syscall.MSG_TRUNC != 0
		take := pid > 0 && l.takes(uid) && flags&syscall.MSG_CTRUNC == 0 &&
			lim.allow(pid, uid, l.shared, time.Now())
		pgid, gone := 0, false
		if take {
			// before its fds are closed: systemd-notify (without
			// --no-block) exits once its BARRIER=1's fd is, and its
			// parent reaps it, which made that datagram Gone
			beforeGroup(pid)
			pgid, gone = senderGroup(pid, pidfd)
		}
		for _, fd := range rights {
			syscall.Close(fd)
		}
		if pidfd >= 0 {
			syscall.Close(pidfd)
		}
		if !take {
			continue
		}
		m := Message{Pid: pid, Pgid: pgid, Gone: gone, Uid: uid, Shared: l.shared, Oversize: oversize, Fields: map[string]string{}}
		if !oversize {
			m.Fields = Parse(buf[:n])
		}
		deliver(m)
	}
}

// Close ends Serve and removes the socket file (an abstract socket has
// none), unless another file took its path (the home was moved or
// removed, and another cfkd made its own there: REFERENCE §7.2).
func (l *Listener) Close() {
	l.once.Do(func() {
		l.conn.Close()
		l.Resume() // a paused Serve reads again, and ends
		if now := socketFile(l.Path); l.file != nil && now != nil && os.SameFile(l.file, now) {
			os.Remove(l.Path)
		}
	})
}

// beforeGroup is called just before a sender's group is read (a test
// holds it there).
var beforeGroup = func(pid int) {}

// rightsAndCred returns the sender's pid and uid (pid 0 when the kernel
// gave none), its pidfd (-1 when the kernel gave none) and the fds the
// datagram carried (systemd-notify's BARRIER=1 waits for its fd to be
// closed), all for the caller to close.
func rightsAndCred(oob []byte) (pid, uid, pidfd int, rights []int) {
	pidfd = -1
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, 0, -1, nil
	}
	for _, m := range msgs {
		if m.Header.Level != syscall.SOL_SOCKET {
			continue
		}
		if m.Header.Type == syscall.SCM_RIGHTS {
			fds, _ := syscall.ParseUnixRights(&m)
			rights = append(rights, fds...)
		} else if p, u, ok := credOf(&m); ok {
			pid, uid = p, u
		} else if fd, ok := pidfdOf(&m); ok {
			pidfd = fd
		}
	}
	return pid, uid, pidfd, rights
}

// senderGroup is the process group of the sender pid, and whether it was
// gone already: reaped (getpgid fails), or, told by its pidfd where the
// kernel gives one, reaped after getpgid or before it and its pid reused
// since, whose group getpgid gave. A gone sender's group is 0.
func senderGroup(pid, pidfd int) (pgid int, gone bool) {
	pgid, err := syscall.Getpgid(pid)
	if err != nil || pidfd >= 0 && !alive(pidfd) {
		return 0, true
	}
	return pgid, false
}

// Parse reads the KEY=VALUE lines of a datagram; lines without `=` are
// ignored.
func Parse(b []byte) map[string]string {
	fields := map[string]string{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte("="))
		if ok && len(k) > 0 {
			fields[string(k)] = string(v)
		}
	}
	return fields
}
