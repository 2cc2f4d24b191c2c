package actors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// A proxied service's env_file reaches the proxy's start command, add_env
// winning over it, as for a service cfkd forks (REFERENCE §2.4): it was
// read (a missing file failed the start) but its variables never sent.
func TestProxiedServiceGetsItsEnvFile(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("FROM_FILE=1\nBOTH=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.declareProxied(nil, "s")
	r.ok("service s env_file="+envFile, "service s add_env=BOTH=add")
	start := r.async("command start service s")
	p := nextProxy(t, proxies)
	line := p.command()
	cmd, err := proxywire.ParseCommand([]byte(line))
	if err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if cmd.Env["FROM_FILE"] != "1" || cmd.Env["BOTH"] != "add" {
		t.Fatalf("start command's env %q, want FROM_FILE=1 and BOTH=add (add_env wins)", cmd.Env)
	}
	p.started("s", 4242)
	r.reply("start", start)
}

// What the start line of a proxy cannot carry is ignored under a proxy
// (REFERENCE §1.1), and each start says so: user= and group= (a service
// declared user=nobody under one ran as cfkd's user, root, and nothing
// said so), umask= and limit_nofile=.
func TestProxiedIgnoredAttributesWarn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		lines []string
		want  []string
	}{
		{"user", []string{"service s user=nobody"}, []string{"s: user and group are ignored under a proxy: proxy p runs it as its own user"}},
		{"umask and limit_nofile", []string{"service s umask=077", "service s limit_nofile=100"}, []string{
			"s: umask is ignored under a proxy: proxy p runs it with its own",
			"s: limit_nofile is ignored under a proxy: proxy p runs it with its own"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(logs))
			r.setAutoTerm()
			proxies := r.playProxies()
			r.declareProxied(nil, "s")
			r.ok(c.lines...)
			r.startFirstProxied(proxies, "s", 501)
			for _, want := range c.want {
				if e := logs.wait(t, want); e.Level != logrus.WarnLevel {
					t.Fatalf("%q logged at %v, want a warning", want, e.Level)
				}
			}
		})
	}
}

// listen_sockets are not passed under a proxy (REFERENCE §3, §9.4): the
// service started without its fds 3, 4, ... nor LISTEN_FDS, and nothing
// said so (a systemd-style server then binds its own port, or exits).
// Each start under a proxy now warns, as for user=.
func TestProxiedListenSocketsWarns(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs))
	r.setAutoTerm()
	proxies := r.playProxies()
	r.bindLoopback("web")
	r.declareProxied(nil, "s")
	r.ok("service s listen_sockets=web")
	r.startFirstProxied(proxies, "s", 501)
	if e := logs.wait(t, "s: listen_sockets are not passed under a proxy: proxy p gives it no fds 3, 4, ... and no LISTEN_FDS, only its tie_stdin_to socket"); e.Level != logrus.WarnLevel {
		t.Fatalf("logged at %v, want a warning", e.Level)
	}
}
