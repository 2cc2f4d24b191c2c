package upgrade

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// StateVersion is the version of the state document this build writes;
// it reads that one and the older ones back to OldestStateVersion (each
// version only adds fields, absent from an older document). A string so
// that a test build can set it with -ldflags "-X
// github.com/cfk/cfk/upgrade.StateVersion=N" (a cfkd that knows only an
// older document).
//
// 2: the shared notify socket, the uids it takes, a run's notify uid, a
// kept datagram's uid and socket (REFERENCE §2.9). A cfkd of version 1
// refuses such a document at the check, before the exec: it would
// refuse the fields it does not know after it.
//
// 3: the declaration a run was launched with, when it is not the
// current one (REFERENCE §1.4: a run of a former declaration).
//
// 4: a UNIX socket's user, group and mode (REFERENCE §1.2), in its
// declaration and the one it was bound with.
//
// 5: when a proxy reported the pid of a run (its lifecycle's pid_time),
// from which its ready timeout counts (REFERENCE §2.9).
//
// 6: a socket's ipv6only (REFERENCE §1.2), in its declaration and the
// one it was bound with (written only when set); a run's ready timeout
// as its EXTEND_TIMEOUT_USEC extended it, the ends WATCHDOG=trigger asks
// (`end` 3 and 4) and the events of both (REFERENCE §2.9); a service's
// oneshot, a run's oneshot and done (REFERENCE §2.10).
//
// 7: a proxied service's starts whose process's exit its proxy has not
// reported yet (ProxiedService.Starts), a start the service gave up
// included: its attempt and pid, whether it was given up and whether
// cfkd asked the proxy to stop it, and when its start line and the
// service's next one were sent (osproc.BootTicks). The new cfkd then
// ends what such a process left once the proxy reports its exit, as the
// former would have (REFERENCE §4.5, §7.5). Always written by version 7
// ([] when none): a document without it, of version 6 or older, is
// adopted as before (the start of the pid reported, with no clock).
//
// 8: an exit a service had not handled yet that its proxy reported with
// no exit_status, or one that is no process's end (Exit.Reported,
// REFERENCE §4.3): said as what it is by the new cfkd. Version 7 carried
// only its status, which such an exit does not have (0x7f): the new cfkd
// said it as `Exited with error -1`, its last_exit `exit -1`. And a
// service's declaration (Service.Decl) and the one each output pipe is
// of (osproc.FrozenPipe.Owner): the lines of an orphan of a former
// declaration of its name are not kept in its tail (REFERENCE §6.4). And
// the declaration a proxy last started each name for
// (ProxiedService.Decl), whose tail keeps the lines it forwards for the
// name (REFERENCE §6.4). And the pid a proxy last reported stopped for
// each name (ProxiedService.LastPid, and the names it is asked nothing of
// any more that have one, ProxiedService.Gone): the lines of that
// process that come after its exit are its service's, not the proxy's
// (REFERENCE §4.4). And the retry's time of a service's down that
// reached its proxy once frozen (ProxyRequest.Retry): the auto proxy is
// held for that retry (REFERENCE §4.5). And cfkd's reason when it stops
// a run not ready whose probe's last try could not run for its shortage
// (lifecycle.Lifecycle.EndWhy, with its `end` 5): its end is a backoff
// with that reason, not counted (REFERENCE §2.9). And the environment
// of a service's start that reached its proxy once frozen
// (ProxyRequest.Env): its env_file's variables, read at that start, are
// in no declaration (REFERENCE §2.4, §13.2). Each only adds a field to
// version 8: a cfkd of version 8 from before one was carried refuses a
// document that names it at its check (an unknown field), before the
// exec, and reads one that does not as before; nothing is taken
// wrongly, so the version stays.
var StateVersion = "8"

// OldestStateVersion is the oldest state document this build reads.
const OldestStateVersion = 1

// Version is StateVersion as a number (0 when it does not parse: such a
// build reads no state).
func Version() int {
	v, err := strconv.Atoi(StateVersion)
	if err != nil {
		return 0
	}
	return v
}

// Env is the variable that tells a cfkd started by exec that it is the
// new cfkd of an upgrade, and where the state is.
const Env = "CFKD_UPGRADE_STATE"

// CheckFlag is cfkd's flag for the check: `cfkd --check-upgrade FILE`.
const CheckFlag = "--check-upgrade"

// ArgsEnv holds, for the check, the flags the new cfkd will run with
// (EncodeArgs: cfkd's own): the check refuses the files they name that the
// new cfkd would refuse (a token file, a certificate), before the exec.
// In the environment, not the arguments, so that a cfkd without it (an
// older one) still takes `--check-upgrade FILE`.
const ArgsEnv = "CFKD_UPGRADE_ARGS"

// EncodeArgs is the value of ArgsEnv for args: their bytes as they are
// (a path need not be UTF-8), NUL-separated, in standard base64.
func EncodeArgs(args []string) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Join(args, "\x00")))
}

// DecodeArgs reads EncodeArgs's value.
func DecodeArgs(v string) ([]string, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ArgsEnv, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return strings.Split(string(b), "\x00"), nil
}

// CheckExit is the exit status of a check that refuses the state.
const CheckExit = 3

// State is what crosses the exec (REFERENCE §13).
type State struct {
	Version     int       `json:"version"`
	CfkdVersion string    `json:"cfkd_version"` // the old cfkd's
	Pid         int       `json:"pid"`
	Written     time.Time `json:"written"`
	Home        string    `json:"home"`
	LogConfig   string    `json:"log_config"`
	// LogConfigText is the log configuration in force (the file may have
	// changed since it was loaded): the new cfkd applies it.
	LogConfigText string `json:"log_config_text"`

	Lock  int       `json:"lock_fd"`        // the locked lock file
	Admin *Listener `json:"admin"`          // the admin console's listener
	HTTP  *Listener `json:"http,omitempty"` // --http's
	// the notify socket of ready=notify (REFERENCE §2.9)
	Notify *Listener `json:"notify,omitempty"`
	// the shared notify socket of the services run as other users, and
	// the uids it takes (REFERENCE §2.9)
	NotifyShared *Listener `json:"notify_shared,omitempty"`
	NotifyUids   []int     `json:"notify_uids,omitempty"`

	Services []Service           `json:"services"`
	Sockets  []Socket            `json:"sockets"`
	Proxies  []Proxy             `json:"proxies"`
	Pipes    []osproc.FrozenPipe `json:"pipes"`
}

// Listener is a listening socket that crosses: its fd and what it is.
type Listener struct {
	Fd      int    `json:"fd"`
	Network string `json:"network"` // unix, tcp
	Addr    string `json:"addr"`
}

// Service is one service: its declaration and its supervision.
type Service struct {
	Config       messages.ServiceConfig `json:"config"`
	Lifecycle    lifecycle.Lifecycle    `json:"lifecycle"`
	RunningCmd   string                 `json:"running_cmd,omitempty"`
	NotifyStatus string                 `json:"notify_status,omitempty"`
	// Group: the process leads its process group (signalled as one).
	Group bool `json:"group,omitempty"`
	// NotifyUid: the run was given the shared notify socket, for this
	// uid (REFERENCE §2.9)
	NotifyUid *int `json:"notify_uid,omitempty"`
	// RunConfig is the declaration the run was launched with when it is
	// not Config (declared anew since, or a restart of it refused: the
	// run is of a former declaration, REFERENCE §1.4); nil when it is
	// Config, or from a cfkd before it was carried (Config is taken then).
	RunConfig *messages.ServiceConfig `json:"run_config,omitempty"`
	// RunReady is the ready= the run was launched with ("" from a cfkd
	// before it was carried: the declaration's is taken then).
	RunReady string `json:"run_ready,omitempty"`
	// RunWatchdog is the watchdog period the run was told, 0 for none
	// (nil from a cfkd before it was carried: the declaration's is
	// taken then).
	RunWatchdog *time.Duration `json:"run_watchdog,omitempty"`
	// RunReadyTimeout is the ready_timeout_secs of the run (nil from a
	// cfkd before it was carried: the declaration's is taken then).
	RunReadyTimeout *time.Duration `json:"run_ready_timeout,omitempty"`
	// Decl is the declaration of the service in the old cfkd (its Tail
	// generation): the pipes whose Owner is another are of a former
	// declaration of its name (destroyed, declared anew since), whose
	// lines its tail does not keep (REFERENCE §6.4). 0 from a cfkd
	// before it was carried (state version 8): every pipe is taken for
	// this declaration's.
	Decl uint64 `json:"decl,omitempty"`
	// Exits were reaped by the old cfkd but not yet handled by the
	// service when it froze: the new cfkd hands them to it first.
	Exits []Exit `json:"exits,omitempty"`
	// Notified are the sd_notify datagrams of its process that came once
	// it was frozen (READY=1, WATCHDOG=1, STATUS=...), handled by the new
	// cfkd after the exits.
	Notified []Notified `json:"notified,omitempty"`
}

// Notified is one sd_notify datagram: its sender and its fields.
type Notified struct {
	Pid  int `json:"pid"`
	Pgid int `json:"pgid,omitempty"`
	// Uid and Shared: the sender's uid, and that it came in on the
	// shared notify socket, which only the run's uid may use (REFERENCE
	// §2.9)
	Uid    int               `json:"uid,omitempty"`
	Shared bool              `json:"shared,omitempty"`
	Fields map[string]string `json:"fields"`
}

// Exit is a process's end: its pid and raw wait status; Reported, for a
// proxied process's, the exit_status its proxy sent when that is no
// wait status of a process's end ("4991", "-5"; "null" for none:
// messages.ProcessExited.Reported), Status meaning nothing then (state
// version 8; empty for every other exit).
type Exit struct {
	Pid      int                `json:"pid"`
	Status   syscall.WaitStatus `json:"status"`
	Reported string             `json:"reported,omitempty"`
}

// Socket is one declared socket; Fd is its listening fd when bound (-1
// otherwise), bound as Bound says, on Service (the real port, or path).
type Socket struct {
	Config  messages.SocketConfig `json:"config"`
	Fd      int                   `json:"fd"`
	Bound   messages.SocketConfig `json:"bound"`
	Service string                `json:"service,omitempty"`
}

// Proxy is one declared proxy and, when its process runs, that process
// (a child of cfkd), its three pipes (cfkd's ends: the command pipe's
// write end, the status and log pipes' read ends) with what was read
// from them and not yet handled, and the services it runs.
type Proxy struct {
	Config  messages.ProxyConfig `json:"config"`
	Running bool                 `json:"running,omitempty"`
	Pid     int                  `json:"pid,omitempty"`
	Run     uint64               `json:"run,omitempty"`
	// the pipes: -1 when not running (or in a check's state, not frozen)
	CmdFd       int      `json:"cmd_fd"`
	StatusFd    int      `json:"status_fd"`
	LogFd       int      `json:"log_fd"`
	StatusCarry []byte   `json:"status_carry,omitempty"`
	LogCarry    []byte   `json:"log_carry,omitempty"`
	PendingCmds [][]byte `json:"pending_cmds,omitempty"` // queued, not yet written
	// Services: those it was asked to start, whether up, and the pid it
	// reported; and those it is asked nothing of any more whose last
	// lines may still come (ProxiedService.Gone).
	Services []ProxiedService `json:"services,omitempty"`
	// Exits of the proxy process reaped but not yet handled; Requests
	// the services' requests that came once it was frozen.
	Exits    []Exit         `json:"exits,omitempty"`
	Requests []ProxyRequest `json:"requests,omitempty"`
}

// ProxiedService is a service a proxy runs.
type ProxiedService struct {
	Name    string `json:"name"`
	Attempt uint64 `json:"attempt"`
	Up      bool   `json:"up,omitempty"`
	Pid     int    `json:"pid,omitempty"`
	// Decl is the declaration (the old cfkd's Tail generation) of the
	// service the name was last started for under this proxy: when it is
	// not Service.Decl of the service of that name (destroyed, declared
	// anew or not since), the lines the proxy forwards for the name are
	// logged, not kept in the tail of the one declared now (REFERENCE
	// §6.4). 0 from a cfkd before it was carried (state version 8
	// too), or one past its bound: taken for the declaration of the name
	// now.
	Decl uint64 `json:"decl,omitempty"`
	// LastPid is the pid of the name's process that the proxy reported
	// stopped, until the name's next start is sent: the lines the proxy
	// still forwards for the name after that exit are that process's,
	// logged with that pid and kept in the tail of the declaration Decl,
	// not logged as the proxy's own (REFERENCE §4.4, §6.4, §13.2). 0: none,
	// or a cfkd before it was carried (state version 8 too).
	LastPid int `json:"last_pid,omitempty"`
	// Gone: the proxy is asked nothing of the name any more (its service
	// down, with no process of it to report, or destroyed): the entry
	// carries only LastPid, never 0 then, and Decl, for its last lines
	// (state version 8 too; a cfkd before it did not carry such names).
	Gone bool `json:"gone,omitempty"`
	// Starts are its starts sent to the proxy whose process's exit the
	// proxy has not reported yet, in the order sent (state version 7:
	// never nil there; nil from an older cfkd, which did not carry them).
	Starts []ProxiedStart `json:"starts"`
}

// ProxiedStart is one start line sent to a proxy, outstanding until the
// proxy reports the exit of its process (REFERENCE §4.5).
type ProxiedStart struct {
	Attempt uint64 `json:"attempt"`
	// Pid: the pid the proxy reported for it, 0 for none yet
	Pid int `json:"pid,omitempty"`
	// Left: the service gave that start up (it went down, or started
	// again): what the proxy reports of it is a stray's
	Left bool `json:"left,omitempty"`
	// StopAsked: cfkd wrote the proxy a stop of the service after it
	StopAsked bool `json:"stop_asked,omitempty"`
	// Sent and Next: when its start line and the service's next one were
	// sent (osproc.BootTicks; 0: no clock, or no next start yet)
	Sent uint64 `json:"sent,omitempty"`
	Next uint64 `json:"next,omitempty"`
	// Unheld: its pid came, but cfkd took no handle on that process
	Unheld bool `json:"unheld,omitempty"`
}

// ProxyRequest is a service's request to its proxy: start (Attempt,
// Env), stop or down (Retry).
type ProxyRequest struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Attempt uint64 `json:"attempt,omitempty"`
	// Retry of a down: when the service, in backoff, starts again by
	// itself (wall clock, Unix nanoseconds), for which an auto proxy is
	// held up (REFERENCE §4.5); 0: down for good, or a cfkd before it
	// was carried (state version 8 too).
	Retry int64 `json:"retry,omitempty"`
	// Env of a start: the environment its service sent it with, its
	// env_file's variables (read at that start) then its add_env's
	// (REFERENCE §2.4); none: the declaration's, a cfkd before it was
	// carried (state version 8 too).
	Env []messages.EnvVar `json:"env,omitempty"`
}

// Fds is every fd the state names: exactly those cross the exec.
func (s *State) Fds() []int {
	fds := []int{s.Lock}
	for _, l := range []*Listener{s.Admin, s.HTTP, s.Notify, s.NotifyShared} {
		if l != nil {
			fds = append(fds, l.Fd)
		}
	}
	for _, k := range s.Sockets {
		if k.Fd >= 0 {
			fds = append(fds, k.Fd)
		}
	}
	for _, p := range s.Pipes {
		fds = append(fds, p.Fd)
	}
	for _, p := range s.Proxies {
		for _, fd := range []int{p.CmdFd, p.StatusFd, p.LogFd} {
			if fd >= 0 {
				fds = append(fds, fd)
			}
		}
	}
	return fds
}

// Encode writes the state as JSON, with this build's version.
func Encode(s *State) ([]byte, error) {
	s.Version = Version()
	return json.Marshal(s)
}

// Decode reads a state and checks it: its version must be this build's,
// its fds distinct and above 2, and the state consistent (consistent:
// every name and pid once, every lifecycle as an export leaves it, every
// proxy declared). A running proxy may name no pipe (the check's state,
// written before the freeze); the new cfkd also asks CheckFrozen.
func Decode(b []byte) (*State, error) {
	var head struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("upgrade state: not a state document: %w", err)
	}
	if head.Version == nil {
		return nil, errors.New("upgrade state: no version")
	}
	if v, mine := *head.Version, Version(); v > mine {
		return nil, fmt.Errorf("upgrade state: version %d is newer than this cfkd's (%d): refused", v, mine)
	} else if v < OldestStateVersion || mine < OldestStateVersion {
		return nil, fmt.Errorf("upgrade state: version %d is older than the oldest this cfkd reads (%d): refused", v, OldestStateVersion)
	}
	var s State
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("upgrade state: %w", err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("upgrade state: %w", err)
	}
	s.respell()
	return &s, nil
}

// respell gives the declarations a former cfkd kept as written (user=007,
// ready=tcp:HOST:0080) the spelling this one parses them to, so that an
// apply compares like with like and restarts nothing for a spelling
// (messages.ServiceConfig.Respell, REFERENCE §1.4).
func (s *State) respell() {
	for i := range s.Services {
		s.Services[i].Config.Respell()
		if r := s.Services[i].RunConfig; r != nil {
			r.Respell()
		}
	}
	for i := range s.Sockets {
		s.Sockets[i].Config.Respell()
		s.Sockets[i].Bound.Respell()
	}
}

func (s *State) check() error {
	if s.Admin == nil {
		return errors.New("no admin listener")
	}
	seen := map[int]bool{}
	for _, fd := range s.Fds() {
		if fd <= 2 || fd > math.MaxInt32 { // past 32 bits, the kernel's int: cut to another fd
			return fmt.Errorf("fd %d cannot cross", fd)
		}
		if seen[fd] {
			return fmt.Errorf("fd %d named twice", fd)
		}
		seen[fd] = true
	}
	names := map[string]bool{}
	for _, svc := range s.Services {
		if svc.Config.Name == "" || names[svc.Config.Name] {
			return fmt.Errorf("service %q: no name, or named twice", svc.Config.Name)
		}
		names[svc.Config.Name] = true
		if r := svc.RunConfig; r != nil && r.Name != svc.Config.Name {
			return fmt.Errorf("service %q: its run's declaration is of service %q", svc.Config.Name, r.Name)
		}
	}
	return s.consistent()
}

// Write writes the state to path, mode 0600 (replacing any file there).
func Write(path string, s *State) error {
	b, err := Encode(s)
	if err != nil {
		return fmt.Errorf("upgrade state: %w", err)
	}
	return WriteBytes(path, b)
}

// WriteBytes writes a state document as it is, mode 0600, in place of
// whatever path held (a stale state, a symlink, an empty directory). What
// cannot be removed (a directory that is not empty) refuses the write
// with what it is and what to do, and is left as it was.
func WriteBytes(path string, b []byte) error {
	rmErr := os.Remove(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) && rmErr != nil {
		return fmt.Errorf("upgrade state: %s", inTheWay(path, rmErr))
	}
	if err != nil {
		return fmt.Errorf("upgrade state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("upgrade state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("upgrade state: %w", err)
	}
	return nil
}

// inTheWay says what is at path, which could not be removed (rmErr), and
// what to do.
func inTheWay(path string, rmErr error) string {
	kind := "a file"
	if fi, err := os.Lstat(path); err == nil {
		switch m := fi.Mode(); {
		case m.IsDir():
			kind = "a directory"
		case m&fs.ModeSymlink != 0:
			kind = "a symlink"
		case m&fs.ModeNamedPipe != 0:
			kind = "a FIFO"
		case m&fs.ModeSocket != 0:
			kind = "a socket"
		case m&fs.ModeDevice != 0:
			kind = "a device"
		}
	}
	why := rmErr
	if pe, ok := rmErr.(*fs.PathError); ok {
		why = pe.Err
	}
	return fmt.Sprintf("%s is %s, where cfkd writes the state of an upgrade in place, and cannot be removed (%v): move it out of the way, then upgrade again", path, kind, why)
}

// Read reads and decodes the state at path.
func Read(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("upgrade state: %w", err)
	}
	return Decode(b)
}

// checkPrefix starts the line a check prints.
const checkPrefix = "cfkd-upgrade-ok"

// CheckLine is what `cfkd --check-upgrade FILE` prints once it has
// understood the state: `cfkd-upgrade-ok version=V state=N`.
func CheckLine(cfkdVersion string, stateVersion int) string {
	return fmt.Sprintf("%s version=%s state=%d", checkPrefix, cfkdVersion, stateVersion)
}

// ParseCheckLine reads a check's line: the new cfkd's version, and the
// version of the state it understood (which must be the one this build
// wrote: a cfkd of an older version prints it too when it reads it).
func ParseCheckLine(line string) (cfkdVersion string, err error) {
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != checkPrefix || !strings.HasPrefix(f[1], "version=") || !strings.HasPrefix(f[2], "state=") {
		return "", fmt.Errorf("not a cfkd check line: %q", line)
	}
	n, err := strconv.Atoi(strings.TrimPrefix(f[2], "state="))
	if err != nil || n != Version() {
		return "", fmt.Errorf("it understood state version %s, not %d", strings.TrimPrefix(f[2], "state="), Version())
	}
	return strings.TrimPrefix(f[1], "version="), nil
}

// FdOf is the number of f's fd, without what (*os.File).Fd does besides:
// it puts the fd in blocking mode, which would stop the read deadlines
// (and the poller) of whoever shares the open file, before and after the
// exec.
func FdOf(f *os.File) int {
	fd := -1
	rc, err := f.SyscallConn()
	if err != nil {
		return int(f.Fd()) // not pollable: blocking already
	}
	rc.Control(func(u uintptr) { fd = int(u) })
	return fd
}
