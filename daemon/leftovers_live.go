package daemon

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cfk/cfk/osproc"
)

// liveCfkds tells the start-up scan which of the processes it found
// belong to a cfkd of this home that is alive: one whose home was moved
// or removed while it ran, this cfkd then started on the same path. Its
// services say CFKD_HOME=this home as a dead one's leftovers do; they
// were taken for leftovers and killed under the cfkd that supervised
// them (REFERENCE §7.5).
//
// A process is such a cfkd's when it or one of its ancestors (parent
// after parent: a service is cfkd's child, a proxied one its proxy's, a
// daemon adopted by cfkd, a child subreaper, cfkd's too) is a live cfkd
// of this home (isLiveCfkd). The leftovers of a dead cfkd were
// reparented to init, or to a subreaper that is no cfkd of this home: a
// cfkd of another home whose service ran the dead one keeps them as its
// orphans, and they are killed as before.
type liveCfkds struct {
	self  int
	homes []string
	known map[int]liveVerdict // by pid: a scan asks of each ancestor once
}

type liveVerdict struct {
	live bool
	lock string // its lock file, where it is now ("PATH (deleted)": removed)
}

func newLiveCfkds(homes []string) *liveCfkds {
	return &liveCfkds{self: os.Getpid(), homes: homes, known: map[int]liveVerdict{}}
}

// owner returns the pid of the live cfkd of this home that pid belongs
// to, and where its lock file is now; 0 when there is none. The walk ends
// at this cfkd (its own children are no other's) and at init.
func (c *liveCfkds) owner(pid int) (int, string) {
	for steps := 0; pid > 1 && pid != c.self && steps < 1024; steps++ {
		v, ok := c.known[pid]
		if !ok {
			v = c.isLiveCfkd(pid)
			c.known[pid] = v
		}
		if v.live {
			return pid, v.lock
		}
		p, ok := osproc.ReadProc(pid)
		if !ok {
			break
		}
		pid = p.Ppid
	}
	return 0, ""
}

// isLiveCfkd says whether pid is a live cfkd of this home: it holds the
// flock of a file named lock that holds its pid (takeLock), and the home
// it was started with (its command line's --home, the default
// $HOME/.controlfreak, or the removed directory its lock was in) is this
// one, by the path it was given or by its real path. A process whose fds
// or command line cannot be read is none.
func (c *liveCfkds) isLiveCfkd(pid int) liveVerdict {
	lock, ok := heldLock(pid)
	if !ok {
		return liveVerdict{}
	}
	var homes []string
	if gone, deleted := strings.CutSuffix(lock, " (deleted)"); deleted {
		homes = append(homes, filepath.Dir(gone))
	}
	if h, ok := cfkdHome(pid); ok {
		homes = append(homes, h)
	}
	for _, h := range homes {
		if slices.Contains(c.homes, h) || slices.Contains(c.homes, homeForServices(h)) {
			return liveVerdict{live: true, lock: lock}
		}
	}
	return liveVerdict{}
}

// heldLock returns the path (as /proc tells it now) of a file named lock
// that pid holds an flock on through one of its fds and that holds its
// pid, as cfkd's lock does.
func heldLock(pid int) (string, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		return "", false
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/fd/" + fd.Name())
		if err != nil || filepath.Base(strings.TrimSuffix(link, " (deleted)")) != "lock" {
			continue
		}
		info, err := os.ReadFile(dir + "/fdinfo/" + fd.Name())
		if err != nil || !flocked(info) {
			continue
		}
		if lockPid(dir+"/fd/"+fd.Name()) == pid {
			return link, true
		}
	}
	return "", false
}

// flocked says whether an fdinfo lists an flock taken through its fd.
func flocked(fdinfo []byte) bool {
	for line := range bytes.Lines(fdinfo) {
		if bytes.HasPrefix(line, []byte("lock:")) && bytes.Contains(line, []byte(" FLOCK ")) {
			return true
		}
	}
	return false
}

// lockPid is the pid written in the lock file at path (0: none).
func lockPid(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 32))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// cfkdHome is the home that process pid, a cfkd, was started with: its
// command line parsed as cfkd's, --home made absolute from its working
// directory, or by default $HOME/.controlfreak from its environment.
// False when the command line is not one cfkd takes.
func cfkdHome(pid int) (string, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/cmdline")
	if err != nil {
		return "", false
	}
	argv := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	if len(argv) < 1 {
		return "", false
	}
	var f Flags
	fs, _ := newFlagSet(&f)
	if fs.Parse(argv[1:]) != nil || fs.NArg() > 0 {
		return "", false
	}
	home := f.Home
	if home == "" {
		h, _ := osproc.Getenv(osproc.Environ(pid), "HOME")
		if h == "" {
			return "", false
		}
		home = filepath.Join(h, ".controlfreak")
	}
	if !filepath.IsAbs(home) {
		cwd, err := os.Readlink(dir + "/cwd")
		if err != nil || !filepath.IsAbs(cwd) {
			return "", false
		}
		home = filepath.Join(cwd, home)
	}
	return filepath.Clean(home), true
}
