package daemon

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/protocol"
)

// unsafeDirs are directories another user could put a file of theirs in
// place of one cfkd reads: one anyone may write (0777), and as root one
// of nobody's; each with the start of the error that names it.
func unsafeDirs(t *testing.T, top string) map[string]string {
	t.Helper()
	open := filepath.Join(top, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{open: open + " is writable by others (mode 0777, no sticky bit): any user could put another file or a symlink in its place"}
	if os.Geteuid() == 0 {
		const nobody = 65534
		theirs := filepath.Join(top, "theirs")
		if err := os.Mkdir(theirs, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		dirs[theirs] = theirs + " is owned by uid 65534: uid 65534 could put another file or a symlink in its place"
	}
	return dirs
}

// writePrivate writes text to path, mode 0600.
func writePrivate(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeTCP is a loopback address no one listens on now.
func freeTCP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runRefused runs cfkd with args in this process and returns the error
// it stops with at start; a cfkd that accepts on its console
// (network, addr) instead was not refused: it is shut down (auth token
// first) and the test fails.
func runRefused(t *testing.T, args []string, network, addr, token string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- Run(args, io.Discard, io.Discard) }()
	end := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			return err
		default:
		}
		if c, err := net.Dial(network, addr); err == nil {
			c.Close()
			err := shutdownRun(network, addr, done, token)
			t.Fatalf("%v: cfkd started (shut down: %v)", args, err)
		}
		if time.Now().After(end) {
			t.Fatalf("%v: cfkd neither refused its flags nor started", args)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// shutdownRun asks the cfkd of this process that accepts on (network,
// addr) to shut down, with one of tokens (two at most: a third failed
// auth closes the connection) when its console wants one, and waits
// until its Run returned on done.
func shutdownRun(network, addr string, done <-chan error, tokens ...string) error {
	if c, err := net.Dial(network, addr); err == nil {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		for _, token := range tokens {
			protocol.WriteRequest(c, "auth "+token) // OK on a UNIX socket, whatever the token
		}
		protocol.WriteRequest(c, "command shutdown")
		io.Copy(io.Discard, c)
		c.Close()
	}
	select {
	case <-done:
		return nil
	case <-time.After(20 * time.Second):
		return errors.New("cfkd did not shut down")
	}
}

// A token file of --admin-token or --http-token, private as it must be,
// in a directory another user may write (or theirs) is refused at start,
// naming the flag, the file, the directory and the fix, as -c is: that
// user could rename a file of theirs over it, and a SIGUSR1 would take
// their tokens (REFERENCE §5.3, §7.2). One that others may write is told
// chmod 600; a private one in a private directory is taken.
func TestStartRefusesTokenFileOthersMayReplace(t *testing.T) {
	top := t.TempDir()
	const token = "0123456789abcdef0123"
	const line = "admin " + token + " ops\n"
	tcp := freeTCP(t)
	sock := filepath.Join(top, "sock")
	cases := []struct {
		flag, what string
		flags      func(file string) []string
		network    string // the console's
		addr       string
	}{
		{"--admin-token", adminTokenChooses, func(file string) []string {
			return []string{"-a", tcp, "--admin-token", file}
		}, "tcp", tcp},
		{"--http-token", httpTokenChooses, func(file string) []string {
			return []string{"-a", "unix:" + sock, "--http", "127.0.0.1:0", "--http-token", file}
		}, "unix", sock},
	}
	type start struct {
		flags, console []string
		want           string
	}
	var starts []start
	for dir, why := range unsafeDirs(t, top) {
		for _, c := range cases {
			file := writePrivate(t, filepath.Join(dir, strings.TrimPrefix(c.flag, "--")), line)
			starts = append(starts, start{c.flags(file), []string{c.network, c.addr}, "cfkd: " + c.flag + " " + file + ": " + why +
				", and choose " + c.what + " (give a file in a directory that only root and cfkd's user may change)"})
		}
	}
	for _, c := range cases {
		file := writePrivate(t, filepath.Join(top, "loose-"+strings.TrimPrefix(c.flag, "--")), line)
		if err := os.Chmod(file, 0o666); err != nil {
			t.Fatal(err)
		}
		starts = append(starts, start{c.flags(file), []string{c.network, c.addr}, "cfkd: " + c.flag + " " + file +
			": writable by others (mode 0666): any user could choose " + c.what + " (chmod 600 " + file + ")"})
	}
	for i, s := range starts {
		home := filepath.Join(top, "home"+strconv.Itoa(i))
		err := runRefused(t, append([]string{"--home", home}, s.flags...), s.console[0], s.console[1], token)
		if err == nil || err.Error() != s.want {
			t.Errorf("Run %v:\n got %v\nwant %s", s.flags, err, s.want)
		}
		if _, serr := os.Stat(home); !os.IsNotExist(serr) {
			t.Errorf("%v: cfkd made its home before it refused the file: %v", s.flags, serr)
		}
	}

	// private, in a directory only root and cfkd's user may change: taken
	for _, c := range cases {
		file := writePrivate(t, filepath.Join(top, strings.TrimPrefix(c.flag, "--")), line)
		f := flagsOf(t, c.flags(file)...)
		if _, sec, hc, err := readFlags(f); err != nil {
			t.Errorf("%s %s, private: %v", c.flag, file, err)
		} else if c.flag == "--admin-token" && sec.policy.Tokens.Load().Len() != 1 || c.flag == "--http-token" && hc.store().Load().Len() != 1 {
			t.Errorf("%s %s, private: its token not read", c.flag, file)
		}
	}
}

// A SIGUSR1 after the token file's directory became one that another
// user may write keeps the tokens in force, and logs why: the file there
// now may be theirs (REFERENCE §5.3). The token that the file holds by
// then does not get in, the one it held does.
func TestReloadRefusesTokenFileOthersMayReplace(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "tokens")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const old, planted = "0123456789abcdef-old", "0123456789abcdef-planted"
	file := writePrivate(t, filepath.Join(dir, "admin"), "admin "+old+" ops\n")
	home := filepath.Join(top, "home")
	addr := freeTCP(t)
	done := make(chan error, 1)
	go func() {
		done <- Run([]string{"--home", home, "-a", addr, "--admin-token", file}, io.Discard, io.Discard)
	}()
	auth := func(token string) string {
		t.Helper()
		end := time.Now().Add(20 * time.Second)
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				r := bufio.NewReader(c)
				if err := protocol.WriteRequest(c, "auth "+token); err != nil {
					t.Fatal(err)
				}
				rep, err := protocol.ReadReply(r)
				if err != nil {
					t.Fatalf("auth: %v", err)
				}
				if rep.Err != nil {
					return rep.Err.Error()
				}
				return "OK"
			}
			select {
			case err := <-done:
				t.Fatalf("cfkd exited: %v", err)
			default:
			}
			if time.Now().After(end) {
				t.Fatalf("cfkd never accepted on %s: %v", addr, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Cleanup(func() {
		if err := shutdownRun("tcp", addr, done, old, planted); err != nil {
			t.Error(err)
		}
	})
	if got := auth(old); got != "OK" {
		t.Fatalf("auth with the file's token: %s", got)
	}

	// another user may write the directory now: what is there may be theirs
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	writePrivate(t, file, "admin "+planted+" theirs\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	want := "tokens not reloaded: keeping the old ones"
	why := "--admin-token " + file + ": " + dir + " is writable by others (mode 0777, no sticky bit)"
	end := time.Now().Add(20 * time.Second)
	var log string
	for {
		b, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
		if log = string(b); strings.Contains(log, want) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("cfkd.log never said %q:\n%s", want, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(log, why) {
		t.Errorf("cfkd.log does not say why (%q):\n%s", why, log)
	}
	if got := auth(old); got != "OK" {
		t.Errorf("auth with the token in force: %s", got)
	}
	if got := auth(planted); got != "not authorized" {
		t.Errorf("auth with the token now in the file: %s, want it refused", got)
	}
}
