package messages

import (
	"strings"
	"syscall"
	"testing"
)

func TestProxyConfigApply(t *testing.T) {
	c := NewProxyConfig("p")
	steps := []struct {
		line string
	}{{"proxy p cmd=[\"cfk-proxy\",\"-v\"]"}, {"proxy p noauto=yes"}, {"proxy p add_env=A=1"}, {"proxy p add_env=B=2"}, {"proxy p desc=a\tb"}}
	for _, s := range steps {
		st, err := Parse(s.line)
		if err != nil {
			t.Fatalf("%q: %v", s.line, err)
		}
		m := st.(SetProxyAttr)
		if c, err = c.Apply(m.Attr, m.Value); err != nil {
			t.Fatalf("%q: %v", s.line, err)
		}
	}
	if !c.HasCmd() || strings.Join(c.Argv, " ") != "cfk-proxy -v" || !c.NoAuto || len(c.Env) != 2 || c.Desc != "ab" {
		t.Fatalf("config %+v", c)
	}
	st, _ := Parse("proxy p cmd=")
	m := st.(SetProxyAttr)
	if c, _ = c.Apply(m.Attr, m.Value); c.HasCmd() {
		t.Fatalf("cmd not unset: %+v", c)
	}
	if _, err := c.Apply("bogus", Value{}); err == nil || err.Error() != "invalid property 'bogus'" {
		t.Fatalf("bogus: %v", err)
	}
}

func TestParseProxyStatus(t *testing.T) {
	got, err := ParseProxyStatus([]byte(`{"status":"started","name":"s","pid":12}`))
	if err != nil || got != (ProxyReportedStarted{Name: "s", Pid: 12}) {
		t.Fatalf("started: %+v %v", got, err)
	}
	got, err = ParseProxyStatus([]byte(`{"name":"s","status":"stopped","pid":12,"exit_status":256}`))
	if err != nil || got != (ProxyReportedStopped{Name: "s", Pid: 12, Status: syscall.WaitStatus(256)}) {
		t.Fatalf("stopped: %+v %v", got, err)
	}
	for _, bad := range []string{`{"status":"started","name":"s"}`, `{"status":"stopped","name":"s","pid":3}`,
		`{"status":"weird","name":"s","pid":3}`, `not json`, `{"status":"started","pid":3}`} {
		if _, err := ParseProxyStatus([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestProxyCommandLines(t *testing.T) {
	c := NewServiceConfig("s")
	c.Cmd = `perl -e 'print "<&>"'`
	c.Env = []EnvVar{{Key: "K", Value: "v"}}
	want := `{"command":"start","name":"s","cmd":"perl -e 'print \"<&>\"'","env":{"K":"v"},"ignore_stdout":false,"ignore_stderr":false,"tie_stdin_to":null,"no_new_session":false}` + "\n"
	if got := string(ProxyStartLine(c)); got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	if got := string(ProxyStopLine("s")); got != `{"command":"stop","name":"s"}`+"\n" {
		t.Fatalf("stop %s", got)
	}
}
