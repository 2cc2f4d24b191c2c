package ctl

import (
	"os"
	"path/filepath"
	"testing"
)

// An address whose path is no socket (cfkd's home given for its socket, its
// log file) refuses the connection as a socket nobody listens on does; a
// third line says what it is and what to give instead. A socket file that
// nobody listens on keeps the two lines alone (cfkd is not running).
func TestConnectToWhatIsNoSocket(t *testing.T) {
	home := t.TempDir()
	file := filepath.Join(home, "cfkd.log")
	if err := os.WriteFile(file, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ addr, third string }{
		{home, "cfkctl: " + home + " is a directory, not a socket: cfkd's socket is unix:" + home + "/sock if that is cfkd's --home\n"},
		{"unix:" + file, "cfkctl: " + file + " is not a socket: give cfkd's admin socket (unix:HOME/sock for cfkd --home HOME)\n"},
		{filepath.Join(home, "sock"), ""},
	} {
		r := runCtl(t, nil, runCfg{}, "-a", tc.addr, "list")
		want := "Cannot get a socket for '" + tc.addr + "'\n" + maybeStart + tc.third
		if r.code != ExitError || r.stdout != "" || r.stderr != want {
			t.Errorf("-a %s: code %d stdout %q stderr %q; want stderr %q", tc.addr, r.code, r.stdout, r.stderr, want)
		}
	}
}

// The original's two lines stay two lines on a terminal: the escaping of
// what cfkd sends (REFERENCE §8.3) turned their newline, cfkctl's own,
// into \x0a, and a person whose cfkd was not running read
// "Cannot get a socket for '...'\x0aMaybe you need to start cfkd?".
func TestConnectErrorOnATerminal(t *testing.T) {
	home := t.TempDir()
	for _, tc := range []struct{ addr, third string }{
		{filepath.Join(home, "sock"), ""},
		{home, "cfkctl: " + home + " is a directory, not a socket: cfkd's socket is unix:" + home + "/sock if that is cfkd's --home\n"},
	} {
		r := runCtl(t, nil, runCfg{terminal: true, stderrTerminal: true}, "-a", tc.addr, "list")
		want := "Cannot get a socket for '" + tc.addr + "'\n" + maybeStart + tc.third
		if r.code != ExitError || r.stdout != "" || r.stderr != want {
			t.Errorf("-a %s on a terminal: code %d stdout %q stderr %q; want stderr %q", tc.addr, r.code, r.stdout, r.stderr, want)
		}
	}
}
