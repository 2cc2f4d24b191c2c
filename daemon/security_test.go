package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

func flagsOf(t *testing.T, args ...string) Flags {
	t.Helper()
	f, err := parseFlags(append([]string{"--home", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// The flags of REFERENCE §5.2 and §7.1: which combinations start, and the
// policy each one makes.
func TestBuildSecurity(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte("operate 0123456789abcdef0123 deploy\n"), 0o600)
	loose := filepath.Join(t.TempDir(), "loose")
	os.WriteFile(loose, []byte("operate 0123456789abcdef0123 deploy\n"), 0o644)

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-a", "127.0.0.1:0"}, "cfkd: a TCP console (127.0.0.1:0) needs a token file: --admin-token FILE"},
		{[]string{"-a", "127.0.0.1:0", "--remote-privileged"}, "--remote-privileged only applies with --insecure-tcp"},
		{[]string{"-a", "127.0.0.1:0", "--insecure-tcp", "--admin-token", tokens}, "exclude each other"},
		{[]string{"-a", "127.0.0.1:0", "--admin-group", "0", "--insecure-tcp"}, "--admin-group is for a UNIX socket"},
		{[]string{"-a", "127.0.0.1:0", "--admin-token", loose}, "chmod 600"},
		{[]string{"-a", "127.0.0.1:0", "--admin-token", loose + ".missing"}, "no such file"},
		{[]string{"--admin-token", tokens}, "--admin-token is for a TCP console"},
		{[]string{"--insecure-tcp"}, "--insecure-tcp is for a TCP console"},
		{[]string{"--admin-group", "no-such-group-here"}, `unknown group "no-such-group-here"`},
		{[]string{"--admin-group", "0:root"}, `unknown level "root"`},
		{[]string{"--admin-group", ":read"}, "no group"},
	} {
		f := flagsOf(t, tc.args...)
		addr, err := ParseAddress(f.Address)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := buildSecurity(f, addr); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: %v, want %q", tc.args, err, tc.err)
		}
	}

	build := func(args ...string) *security {
		t.Helper()
		f := flagsOf(t, args...)
		addr, err := ParseAddress(f.Address)
		if err != nil {
			t.Fatal(err)
		}
		s, err := buildSecurity(f, addr)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		return s
	}
	s := build()
	if p := s.policy; len(p.AdminUIDs) == 0 || p.AdminUIDs[0] != 0 || p.Tokens != nil || p.Insecure || p.IdleTimeout != 0 ||
		p.MaxConnections != DefaultMaxConnections || p.Cap != rights.None || s.group != nil {
		t.Errorf("default: %+v", p)
	}
	s = build("--admin-group", "0:read", "--command-only", "--idle-timeout", "90", "--max-connections", "9")
	if p := s.policy; len(p.Groups) != 1 || p.Groups[0].GID != 0 || p.Groups[0].Level != rights.Read || p.Cap != rights.Operate ||
		p.IdleTimeout != 90*time.Second || p.MaxConnections != 9 || s.group == nil || !strings.Contains(s.summary, "--command-only") {
		t.Errorf("group: %+v %q", p, s.summary)
	}
	s = build("-a", "127.0.0.1:0", "--admin-token", tokens)
	if p := s.policy; p.Tokens == nil || p.Tokens.Load().Len() != 1 || p.Insecure || p.IdleTimeout != DefaultTCPIdle || len(s.warnings) != 0 {
		t.Errorf("tokens: %+v %q", p, s.warnings)
	}
	s = build("-a", "127.0.0.1:0", "--admin-token", tokens, "--idle-timeout", "0")
	if s.policy.IdleTimeout != 0 {
		t.Errorf("--idle-timeout 0: %v", s.policy.IdleTimeout)
	}
	for _, tc := range []struct {
		args  []string
		level rights.Level
	}{
		{[]string{"-a", "127.0.0.1:0", "--insecure-tcp"}, rights.Admin},
		{[]string{"-a", "localhost:0", "--insecure-tcp"}, rights.Admin},
		{[]string{"-a", "0.0.0.0:0", "--insecure-tcp"}, rights.Operate},
		{[]string{"-a", "0.0.0.0:0", "--insecure-tcp", "--remote-privileged"}, rights.Admin},
		{[]string{"-a", "127.0.0.1:0", "--insecure-tcp", "--command-only"}, rights.Operate},
	} {
		s := build(tc.args...)
		got := s.policy.InsecureLevel
		if s.policy.Cap != rights.None {
			got = min(got, s.policy.Cap)
		}
		if !s.policy.Insecure || got != tc.level || len(s.warnings) == 0 || !strings.Contains(s.summary, tc.level.String()) {
			t.Errorf("%q: %+v %q %q, want %v", tc.args, s.policy, s.summary, s.warnings, tc.level)
		}
	}
	for _, bad := range [][]string{{"--max-connections", "0"}, {"--idle-timeout", "-1s"}, {"--idle-timeout", "soon"}} {
		if _, err := parseFlags(append([]string{"--home", t.TempDir()}, bad...), io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// --admin-group makes the socket 0660 and its group the admin group's,
// and a home that holds it 0710: the group passes, nobody else does.
func TestShareSocket(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	os.Mkdir(home, 0o700)
	sock := filepath.Join(home, "sock")
	os.WriteFile(sock, nil, 0o600)
	g, err := parseAdminGroup(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shareSocket(sock, home, g); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{home: 0o710, sock: 0o660} {
		if st, _ := os.Stat(path); st.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", path, st.Mode().Perm(), want)
		}
	}

	// a socket elsewhere: its directory is left alone, and one the group
	// cannot pass is warned about
	dir := filepath.Join(t.TempDir(), "private")
	os.Mkdir(dir, 0o700)
	sock = filepath.Join(dir, "sock")
	os.WriteFile(sock, nil, 0o600)
	warnings, err := shareSocket(sock, home, g)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("%s changed: %04o", dir, st.Mode().Perm())
	}
	if len(warnings) == 0 || !strings.Contains(strings.Join(warnings, "\n"), dir+" is mode 0700") {
		t.Errorf("warnings: %q", warnings)
	}
}
