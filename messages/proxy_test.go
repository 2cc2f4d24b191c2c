package messages

import (
	"strings"
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
