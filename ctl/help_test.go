package ctl

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

func TestMainHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--json", "--help"}} {
		f := newFakeServer(t, nil)
		r := runCtl(t, f, runCfg{}, args...)
		if r.code != 0 || r.stderr != "" || f.connections() != 0 {
			t.Fatalf("%q: got code %d stderr %q, %d connections", args, r.code, r.stderr, f.connections())
		}
		for _, c := range commands {
			if !strings.Contains(r.stdout, "  "+c.usage()+" ") || !strings.Contains(r.stdout, c.short) {
				t.Errorf("%q: the help does not list %q with %q", args, c.usage(), c.short)
			}
		}
		for _, want := range []string{"Examples:", "load - <<'END'", "cfkctl start svc1", "kill -9 $(cfkctl pid svc1)",
			"tags=web,prod", "cfkctl start @web", "--address", "--basedir", "--json", "--timeout", "--version", "11311", "Exit status"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%q: the help lacks %q", args, want)
			}
		}
	}
}

// The status line in the examples is what status really prints.
func TestMainHelpExampleStatus(t *testing.T) {
	st := messages.StatusLine{Name: "svc1", State: messages.Running, StartTime: ago(2 * time.Second)}
	now := time.Date(2009, 11, 11, 16, 16, 11, 0, time.UTC)
	want := "  # " + formatStatus(st, now, time.UTC, false) + "\n"
	if !strings.Contains(helpExamples+"\n", want) {
		t.Fatalf("the examples lack %q", want)
	}
}

func TestCommandHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{"help", c.name}, {c.name, "--help"}, {"-h", c.name}} {
			f := newFakeServer(t, nil)
			r := runCtl(t, f, runCfg{}, args...)
			if r.code != 0 || r.stderr != "" || f.connections() != 0 {
				t.Fatalf("%q: code %d stderr %q, %d connections", args, r.code, r.stderr, f.connections())
			}
			if !strings.HasPrefix(r.stdout, "Usage: cfkctl [FLAGS] "+c.usage()+"\n") || !strings.Contains(r.stdout, c.long) {
				t.Errorf("%q: got\n%s", args, r.stdout)
			}
		}
	}
}
