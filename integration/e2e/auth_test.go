package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// Who gets in, and with what rights (REFERENCE §5): cfkd runs as root (as
// the tests do), and its clients as nobody, with or without a group, by
// a cfkctl started with setuid/setgid.

const (
	nobodyUID = 65534
	// adminGID is the group of --admin-group in these tests: a number no
	// /etc/group need know, given to the client as a supplementary group.
	adminGID = 4242
)

// needRoot skips a test that switches users when the tests do not run as
// root (CI and this machine run them as root).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("switching to nobody needs root")
	}
}

// sharedDir is a fresh directory that everyone may enter (0755), removed
// at the end of the test: t.TempDir's are 0700.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cfk-auth-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nobodyCtl runs cfkctl as nobody (groups: its supplementary groups) and
// returns stdout, stderr and the exit code.
func nobodyCtl(t *testing.T, stdin string, groups []uint32, env []string, args ...string) (string, string, int) {
	t.Helper()
	// the binary's directory is 0700 (os.MkdirTemp): nobody must enter it
	if err := os.Chmod(filepath.Dir(cfkctlBin), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cfkctlBin, append([]string{"--timeout", "20s"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = childEnv(append([]string{"HOME=/nonexistent"}, env...)...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: nobodyUID, Gid: nobodyUID, Groups: append([]uint32{}, groups...)}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// expectCtl runs nobodyCtl and checks the exit code and that stderr holds
// want (nothing when want is "").
func expectCtl(t *testing.T, code int, want string, groups []uint32, env []string, stdin string, args ...string) string {
	t.Helper()
	out, errs, got := nobodyCtl(t, stdin, groups, env, args...)
	if got != code || (want == "" && errs != "") || !strings.Contains(errs, want) {
		t.Fatalf("cfkctl %q as nobody %v: exit %d, stderr %q; want exit %d, stderr with %q", args, groups, got, errs, code, want)
	}
	return out
}

// A UNIX socket goes by the peer's credentials: nobody is refused at
// connect even once the socket's mode lets it connect; a member of
// --admin-group can restart but not declare (operate), or only look
// (GROUP:read); root does everything (REFERENCE §5.2).
func TestUnixSocketPeerCredentials(t *testing.T) {
	needRoot(t)
	top := sharedDir(t)
	home := filepath.Join(top, "home")
	d := startDaemon(t, home, "--admin-group", strconv.Itoa(adminGID))
	c := d.dial()
	c.ok("service web cmd=sleep 1000", "command start service web")
	addr := "unix:" + d.sock

	for path, want := range map[string]os.FileMode{home: 0o710, d.sock: 0o660} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want || st.Sys().(*syscall.Stat_t).Gid != adminGID {
			t.Errorf("%s: mode %04o gid %d, want %04o gid %d", path, st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Gid, want, adminGID)
		}
	}

	member := []uint32{adminGID}
	out := expectCtl(t, 0, "", member, nil, "", "-a", addr, "status", "web")
	if !strings.HasPrefix(out, "starting web") && !strings.HasPrefix(out, "running  web") {
		t.Errorf("status as a member: %q", out)
	}
	pid := c.status("web")[2]
	expectCtl(t, 0, "", member, nil, "", "-a", addr, "restart", "web")
	if got := c.status("web")[2]; got == pid || got == "" {
		t.Errorf("restart as a member: pid %s, was %s", got, pid)
	}
	expectCtl(t, 1, "not authorized", member, nil, "service owned cmd=id\n", "-a", addr, "load", "-")
	expectCtl(t, 1, "not authorized", member, nil, "", "-a", addr, "destroy", "web")
	expectCtl(t, 1, "not authorized", member, nil, "", "-a", addr, "shutdown")
	if l := c.ok("command list"); len(l) != 1 || l[0] != "web" {
		t.Errorf("after the refusals: %q", l)
	}

	// not a member: the home (0710, group adminGID) keeps it out ...
	expectCtl(t, 1, "Cannot get a socket", nil, nil, "", "-a", addr, "status")
	// ... and so does cfkd when the way is opened by hand
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	expectCtl(t, 1, "not authorized", nil, nil, "", "-a", addr, "status")
	expectCtl(t, 1, "not authorized", nil, nil, "", "-a", addr, "list")

	log := waitLog(t, d.home, "connection refused: not authorized")
	for _, want := range []string{
		"INFO audit - command restart service web peer=\"unix:uid=65534,pid=",
		"right=operate",
		"WARN audit - not authorized: service owned cmd=id (needs admin) peer=\"unix:uid=65534,pid=",
		"WARN audit - not authorized: command shutdown (needs admin)",
		"WARN audit - connection refused: not authorized (neither root, cfkd's user nor a member of an admin group) peer=\"unix:uid=65534,pid=",
		"INFO audit - service web cmd=sleep 1000 peer=\"unix:uid=0,pid=",
		"right=admin",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("cfkd.log lacks %q:\n%s", want, grepLines(log, "audit", 30))
		}
	}
	c.ok("command stop service web")
}

// --admin-group GROUP:read: its members look, and do nothing else; a
// socket elsewhere than the home keeps its directory as it is.
func TestUnixSocketReadGroup(t *testing.T) {
	needRoot(t)
	top := sharedDir(t)
	sock := filepath.Join(top, "cfk.sock")
	d := launchDaemon(t, filepath.Join(t.TempDir(), "home"), "-a", "unix:"+sock, "--admin-group", strconv.Itoa(adminGID)+":read")
	d.sock = sock
	d.waitAccept("unix", sock)
	c := d.dial()
	c.ok("service web cmd=sleep 1000")
	member, addr := []uint32{adminGID}, "unix:"+sock
	if out := expectCtl(t, 0, "", member, nil, "", "-a", addr, "status"); !strings.HasPrefix(out, "stopped  web") {
		t.Errorf("status: %q", out)
	}
	expectCtl(t, 1, "not authorized", member, nil, "", "-a", addr, "start", "web")
	if st := c.status("web"); st[1] != "stopped" {
		t.Errorf("web: %q", st)
	}
	if st, _ := os.Stat(top); st.Mode().Perm() != 0o755 {
		t.Errorf("the socket's directory changed: %04o", st.Mode().Perm())
	}
}

// tokenFile writes lines to a fresh file of mode 0600 owned by uid.
func tokenFile(t *testing.T, dir, name string, uid int, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawTCP is a client speaking the admin protocol itself.
type rawTCP struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, network, addr string) *rawTCP {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(deadline))
	return &rawTCP{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// do sends line (if the connection still takes it) and reads the reply:
// "OK", or "ERROR: MESSAGE".
func (c *rawTCP) do(line string) string {
	c.t.Helper()
	protocol.WriteRequest(c.conn, line) // cfkd may have answered and closed already: read anyway
	rep, err := protocol.ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("%q: %v", line, err)
	}
	if rep.Err != nil {
		return "ERROR: " + rep.Err.Error()
	}
	return "OK"
}

func (c *rawTCP) closed() {
	c.t.Helper()
	if _, err := c.r.ReadByte(); err == nil || !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		c.t.Fatalf("read: %v, want the end of the connection", err)
	}
}

// A TCP console (loopback included) with --admin-token: nothing but auth
// and exit without a token; a read token looks, an operate token
// restarts but does not declare, an admin token does everything; three
// bad tokens close the connection, each after a delay; USR1 re-reads the
// file; no token is ever in the log (REFERENCE §5.3).
func TestTCPTokens(t *testing.T) {
	t.Parallel()
	needRoot(t)
	secrets := map[string]string{}
	for _, l := range []string{"read", "operate", "admin", "new"} {
		secrets[l] = fmt.Sprintf("%s-%d-0123456789abcdef", l, time.Now().UnixNano())
	}
	top := sharedDir(t)
	server := tokenFile(t, t.TempDir(), "tokens", 0, "# the team", "read "+secrets["read"]+" monitoring",
		"operate "+secrets["operate"]+" deploy", "admin "+secrets["admin"])
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := startDaemonTCP(t, addr, addr, "--admin-token", server)
	mine := func(level string) []string {
		return []string{"CFKCTL_TOKEN_FILE=" + tokenFile(t, top, level, nobodyUID, secrets[level])}
	}

	// no token: auth and exit only
	raw := dialRaw(t, "tcp", addr)
	for _, l := range []string{"command status", "command version", "service owned cmd=id", "command shutdown"} {
		if got := raw.do(l); got != "ERROR: not authorized" {
			t.Fatalf("%q without a token: %q", l, got)
		}
	}
	raw.conn.Write([]byte("exit\r\n"))
	raw.closed()
	expectCtl(t, 1, "not authorized\ncfkctl: a TCP console wants a token", nil, nil, "", "-a", addr, "status")

	admin, operate, read := mine("admin"), mine("operate"), mine("read")
	expectCtl(t, 0, "", nil, admin, "service web cmd=sleep 1000\nservice web tags=www\n", "-a", addr, "load", "-")
	expectCtl(t, 0, "", nil, admin, "", "-a", addr, "start", "web")

	if out := expectCtl(t, 0, "", nil, read, "", "-a", addr, "status"); !strings.Contains(out, " web ") {
		t.Errorf("status with a read token: %q", out)
	}
	expectCtl(t, 0, "", nil, read, "", "-a", addr, "desc", "web")
	expectCtl(t, 1, "not authorized", nil, read, "", "-a", addr, "stop", "web")
	expectCtl(t, 1, "not authorized", nil, read, "", "-a", addr, "restart", "@www")

	expectCtl(t, 0, "", nil, operate, "", "-a", addr, "restart", "web")
	expectCtl(t, 0, "", nil, operate, "", "-a", addr, "stop", "web")
	expectCtl(t, 1, "not authorized", nil, operate, "service owned cmd=id\n", "-a", addr, "load", "-")
	expectCtl(t, 1, "not authorized", nil, operate, "", "-a", addr, "destroy", "web")
	expectCtl(t, 0, "", nil, admin, "", "-a", addr, "destroy", "web")

	// three bad tokens: each answered after a delay, then closed
	raw = dialRaw(t, "tcp", addr)
	start := time.Now()
	for i := range 3 {
		if got := raw.do("auth not-" + secrets["admin"]); got != "ERROR: not authorized" {
			t.Fatalf("bad token %d: %q", i+1, got)
		}
	}
	raw.closed()
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("three bad tokens answered in %v: no delay", d)
	}

	// USR1 re-reads the file: the new token works (that the old ones
	// are refused, each after the delay, the unit tests check)
	tokenFile(t, filepath.Dir(server), "tokens", 0, "admin "+secrets["new"]+" rotated")
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitLog(t, d.home, "reloaded 1 tokens from "+server)
	expectCtl(t, 0, "", nil, mine("new"), "", "-a", addr, "list")

	log := readLog(d.home)
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Fatalf("a token is in cfkd.log:\n%s", grepLines(log, s, 3))
		}
	}
	for _, want := range []string{
		"INFO audit - auth: token monitoring peer=tcp:127.0.0.1:",
		"INFO audit - command restart service web peer=tcp:127.0.0.1:",
		"right=operate token=deploy",
		"WARN audit - not authorized: command stop service web (needs operate) peer=tcp:127.0.0.1:",
		"right=read token=monitoring",
		"INFO audit - command destroy service web peer=tcp:127.0.0.1:",
		`token="line 4"`,
		"a bad token (3 of 3): closing the connection",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("cfkd.log lacks %q:\n%s", want, grepLines(log, "audit", 40))
		}
	}
}

// A TCP console without a token file does not start, and says why;
// --insecure-tcp starts it as before tokens, with a warning at start and
// for each connection.
func TestInsecureTCP(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	out, err := cfkdOutput(t, home, nil, "-a", "127.0.0.1:0")
	if err == nil || !strings.Contains(string(out), "cfkd: a TCP console (127.0.0.1:0) needs a token file: --admin-token FILE") {
		t.Fatalf("a TCP console without tokens: %v %q", err, out)
	}
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := startDaemonTCP(t, addr, addr, "--insecure-tcp")
	c := d.dialTCP(addr)
	c.ok("service a cmd=sleep 1000", "command start service a")
	log := waitLog(t, d.home, "insecure TCP console (--insecure-tcp): tcp:127.0.0.1:")
	if !strings.Contains(log, "WARN cfkd - admin console on "+addr+": no tokens (--insecure-tcp): anyone who can connect gets admin") {
		t.Errorf("no warning at start:\n%s", grepLines(log, "admin console", 5))
	}
	c.ok("command stop service a")
}

// The original's Perl client, on an --insecure-tcp console: its
// conversation (a request ending in \r\n, lines read up to one that is
// OK\r\n or ERROR:) works as it did before tokens.
func TestInsecureTCPWithAPerlClient(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("no perl")
	}
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	d := startDaemonTCP(t, addr, addr, "--insecure-tcp")
	// ControlFreak::Console's client side, as cfkctl 1.0 sent and read
	script := `
use strict; use IO::Socket::INET;
my $sock = IO::Socket::INET->new(PeerAddr => $ARGV[0], Proto => 'tcp') or die "Cannot get a socket for '$ARGV[0]'\n";
sub send_command {
    my ($cmd) = @_;
    print $sock "$cmd\r\n";
    my @lines;
    while (my $l = <$sock>) {
        return (1, @lines) if $l =~ /^OK\r\n/;
        return (0, $1) if $l =~ /^ERROR:\s*(.*?)\r\n/;
        chomp $l; push @lines, $l;
    }
    die "connection closed\n";
}
for my $cmd ("service svc1 cmd=sleep 100", "command start service svc1", "command status service svc1", "bogus") {
    my ($ok, @r) = send_command($cmd);
    print(($ok ? "OK" : "ERROR"), ": ", join("|", @r), "\n");
}
print $sock "exit\r\n";
`
	out, err := exec.Command(perl, "-e", script, addr).CombinedOutput()
	if err != nil {
		t.Fatalf("perl client: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4 || lines[0] != "OK: " || lines[1] != "OK: done 1" ||
		!strings.HasPrefix(lines[2], "OK: svc1\tstarting\t") || lines[3] != "ERROR: unknown command 'bogus'" {
		t.Fatalf("perl client:\n%s", out)
	}
	c := d.dialTCP(addr)
	c.ok("command stop service svc1")
}

// settled waits until every connection cfkd accepted so far has ended
// (those of waitAccept): each holds its place until then.
func settled(t *testing.T, home string) {
	t.Helper()
	waitFor(t, "the connections so far closed", func() bool {
		log := readLog(home)
		return strings.Count(log, "new connection to admin") == strings.Count(log, "Console exiting")
	})
}

// Twice --max-connections idle clients: the first half is served, the
// rest answered `too many connections` and closed; a service still starts
// on one of the connections served; and once clients leave, new ones get
// in (REFERENCE §5.4).
func TestConnectionLimit(t *testing.T) {
	const limit = 8
	d := startDaemon(t, "", "--max-connections", strconv.Itoa(limit))
	settled(t, d.home)
	var served []*rawTCP
	for i := range 2 * limit {
		c := dialRaw(t, "unix", d.sock)
		got := c.do("command version")
		switch {
		case i < limit && got != "OK":
			t.Fatalf("client %d: %q", i, got)
		case i >= limit && got != "ERROR: too many connections":
			t.Fatalf("client %d of %d: %q, want too many connections", i, limit, got)
		case i >= limit:
			c.closed()
		default:
			served = append(served, c)
		}
	}
	c := &client{t: t, conn: served[0].conn, r: served[0].r}
	c.ok("service s cmd=sleep 1000", "command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	served[1].conn.Close()
	waitFor(t, "a place given back", func() bool {
		conn, err := net.Dial("unix", d.sock)
		if err != nil {
			return false
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(deadline))
		protocol.WriteRequest(conn, "command version")
		rep, err := protocol.ReadReply(bufio.NewReader(conn))
		return err == nil && rep.Err == nil
	})
	log := waitLog(t, d.home, "connection refused: too many connections")
	if !strings.Contains(log, "(8 open") {
		t.Errorf("the refusal does not say the bound:\n%s", grepLines(log, "too many", 3))
	}
	c.ok("command stop service s")
}

// Under a small fd limit, connections hold at most a quarter of it,
// whatever --max-connections says: twice that many idle clients leave
// the services their fds, and a batch of services starts at the first
// attempt (REFERENCE §5.4, §7.6).
func TestConnectionsKeepTheFdReserve(t *testing.T) {
	const limit = 128
	d := startDaemonUlimit(t, limit, fmt.Sprintf("ulimit -n %d", limit), "--max-connections", "1000")
	share := limit / 4
	settled(t, d.home)
	var served []*rawTCP
	refused := 0
	for range 2 * share {
		c := dialRaw(t, "unix", d.sock)
		switch got := c.do("command version"); got {
		case "OK":
			served = append(served, c)
		case "ERROR: too many connections":
			refused++
			c.closed()
		default:
			t.Fatalf("a client: %q", got)
		}
	}
	if len(served) != share || refused != share {
		t.Fatalf("%d clients served, %d refused; want %d and %d", len(served), refused, share, share)
	}
	c := &client{t: t, conn: served[0].conn, r: served[0].r}
	c.conn.SetDeadline(time.Now().Add(4 * deadline))
	const n = 20
	declareSleepers(c, n)
	if lines := c.ok("command start all"); len(lines) != 1 || lines[0] != fmt.Sprintf("done %d", n) {
		t.Fatalf("start all: %q, want done %d", lines, n)
	}
	c.until("every service running", func() bool { return c.states()["running"] == n })
	if log := readLog(d.home); strings.Contains(log, "too many open files") {
		t.Errorf("cfkd ran short of fds:\n%s", grepLines(log, "too many open files", 5))
	}
	c.ok("command stop all")
}
