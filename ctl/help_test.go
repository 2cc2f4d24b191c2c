package ctl

import (
	"encoding/json"
	"maps"
	"reflect"
	"regexp"
	"slices"
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
			if !strings.Contains(r.stdout, "  "+c.synopsis()+" ") || !strings.Contains(r.stdout, c.short) {
				t.Errorf("%q: the help does not list %q with %q", args, c.synopsis(), c.short)
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

// The help of status, desc and inspect names every key their output
// holds: a user reads the JSON's keys there (REFERENCE §8.3).
func TestHelpNamesEveryJSONKey(t *testing.T) {
	now := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	full := messages.ServiceInfo{Name: "w", State: messages.Running, Pid: 1, StartTime: now, StopTime: now,
		Proxy: "p", ProxyUp: true, FailReason: "f", RunningCmd: "c", Retries: 1, Crashes: 1, NextStart: now,
		Restarts: 1, LastExit: "exit 1", LastExitTime: now, NotifyStatus: "n", LastError: "e",
		Tags: []string{"t"}, Desc: "d", Cmd: "c", Requires: []string{"r"}, RunningFormer: true, Done: true,
		WaitingFor: []string{"r"}}
	var inspectKeys map[string]any
	if err := json.Unmarshal([]byte(full.Format()), &inspectKeys); err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string][]string{
		"status":  jsonTags(reflect.TypeOf(statusJSON{})),
		"desc":    jsonTags(reflect.TypeOf(descJSON{})),
		"inspect": slices.Collect(maps.Keys(inspectKeys)),
	} {
		c := lookup(name)
		for _, k := range keys {
			if !regexp.MustCompile(`\b` + k + `\b`).MatchString(c.long) {
				t.Errorf("cfkctl help %s does not name the key %q", name, k)
			}
		}
	}
}

func jsonTags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// A verb's help says what cfkctl sends (REFERENCE §8.2): one request with
// every reference's selector. It went on to say "command VERB SELECTOR"
// for each reference, stopping at the first error, against its own first
// paragraph (start db app and start app db do the same); events and tail
// -f said they end when cfkd exits, not what a shutdown and a lost cfkd
// each do.
func TestHelpSaysWhatIsSent(t *testing.T) {
	for _, c := range commands {
		var b strings.Builder
		printCommandHelp(&b, c)
		h := b.String()
		if strings.Contains(h, "for each reference, in order, and stops") {
			t.Errorf("%s --help: says one request per reference:\n%s", c.name, h)
		}
		if strings.HasSuffix(c.args, "REF...") && c.name != "status" && !strings.Contains(h, `"command `+c.name+" ") {
			t.Errorf("%s --help: does not say what it sends:\n%s", c.name, h)
		}
		if c.name == "events" || c.name == "tail" {
			for _, want := range []string{"shuts down", "exit status 0", "exit status 1", "lost"} {
				if !strings.Contains(strings.Join(strings.Fields(h), " "), want) {
					t.Errorf("%s --help: lacks %q:\n%s", c.name, want, h)
				}
			}
		}
	}
}
