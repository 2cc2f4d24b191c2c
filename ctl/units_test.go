package ctl

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

func TestDefaultAddress(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := defaultAddress(env(map[string]string{"HOME": "/home/u"})); got != "unix:/home/u/.controlfreak/sock" {
		t.Errorf("default: %q", got)
	}
	if got := defaultAddress(env(map[string]string{"HOME": "/home/u", "CFKCTL_ADDRESS": "h:1"})); got != "h:1" {
		t.Errorf("CFKCTL_ADDRESS: %q", got)
	}
}

func TestSelectors(t *testing.T) {
	tests := []struct {
		refs []string
		want []string
		bad  bool
	}{
		{refs: nil, want: nil},
		{refs: []string{"svc1"}, want: []string{"service svc1"}},
		{refs: []string{"@web"}, want: []string{"tag web"}},
		{refs: []string{"all"}, want: []string{"all"}},
		{refs: []string{"a", "@t", "b"}, want: []string{"service a", "tag t", "service b"}},
		{refs: []string{"a", "all", "@t"}, want: []string{"all"}},
		{refs: []string{"a", "a", "@t", "@t"}, want: []string{"service a", "tag t"}},
		{refs: []string{"@a.b-c"}, want: []string{"tag a.b-c"}},
		{refs: []string{"_x-1"}, want: []string{"service _x-1"}},
		// no service can bear these names: usage errors, nothing sent
		{refs: []string{"@@x"}, bad: true},
		{refs: []string{"-x"}, bad: true},
		{refs: []string{"a.b"}, bad: true},
		{refs: []string{strings.Repeat("a", 70000) + " "}, bad: true},
		{refs: []string{"All"}, want: []string{"service All"}},
		{refs: []string{"@"}, bad: true},
		{refs: []string{""}, bad: true},
		{refs: []string{"a b"}, bad: true},
		{refs: []string{"a\tb"}, bad: true},
		{refs: []string{"@a b"}, bad: true},
		{refs: []string{"a\r"}, bad: true},
		{refs: []string{"ok", "a\nexit"}, bad: true},
		// after `all` too: its place did not make them valid
		{refs: []string{"all", "@@"}, bad: true},
		{refs: []string{"all", "-x"}, bad: true},
		{refs: []string{"a", "all", "a b"}, bad: true},
		{refs: []string{"all", "a", "@t", "all"}, want: []string{"all"}},
	}
	for _, tc := range tests {
		got, err := selectors(tc.refs)
		if tc.bad {
			if _, isUsage := err.(*usageError); !isUsage {
				t.Errorf("selectors(%q) = %q, %v; want a usage error", tc.refs, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("selectors(%q) = %q, %v; want %q", tc.refs, got, err, tc.want)
		}
	}
	if got, _ := selectorsOrAll(nil); !reflect.DeepEqual(got, []string{"all"}) {
		t.Errorf("selectorsOrAll(nil) = %q", got)
	}
}

func TestParseFlags(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"HOME": "/h"}[k] }
	tests := []struct {
		args    []string
		address string
		basedir string
		json    bool
		help    bool
		timeout time.Duration
		pos     []string
		bad     string // part of the usage error
	}{
		{args: []string{"status"}, address: "unix:/h/.controlfreak/sock", timeout: DefaultTimeout, pos: []string{"status"}},
		{args: []string{"-a", "x:1", "status"}, address: "x:1", timeout: DefaultTimeout, pos: []string{"status"}},
		{args: []string{"--address", "/s", "status", "@web"}, address: "/s", timeout: DefaultTimeout, pos: []string{"status", "@web"}},
		{args: []string{"--address=/s", "status"}, address: "/s", timeout: DefaultTimeout, pos: []string{"status"}},
		{args: []string{"status", "--json", "web1", "-a", "/s"}, address: "/s", json: true, timeout: DefaultTimeout, pos: []string{"status", "web1"}},
		{args: []string{"--basedir", "/srv", "load", "-"}, address: "unix:/h/.controlfreak/sock", basedir: "/srv", timeout: DefaultTimeout, pos: []string{"load", "-"}},
		{args: []string{"--timeout", "0", "list"}, address: "unix:/h/.controlfreak/sock", pos: []string{"list"}},
		{args: []string{"--timeout=2.5", "list"}, address: "unix:/h/.controlfreak/sock", timeout: 2500 * time.Millisecond, pos: []string{"list"}},
		{args: []string{"--timeout", "1m", "list"}, address: "unix:/h/.controlfreak/sock", timeout: time.Minute, pos: []string{"list"}},
		{args: []string{"start", "--help"}, address: "unix:/h/.controlfreak/sock", help: true, timeout: DefaultTimeout, pos: []string{"start"}},
		{args: []string{"-h"}, address: "unix:/h/.controlfreak/sock", help: true, timeout: DefaultTimeout},
		{args: []string{"start", "--", "--json"}, address: "unix:/h/.controlfreak/sock", timeout: DefaultTimeout, pos: []string{"start", "--json"}},
		{args: []string{"--json=false", "list"}, address: "unix:/h/.controlfreak/sock", timeout: DefaultTimeout, pos: []string{"list"}},
		{args: []string{"--nope", "list"}, bad: "unknown flag '--nope'"},
		{args: []string{"list", "-x"}, bad: "unknown flag '-x'"},
		{args: []string{"list", "--address"}, bad: "--address needs a value"},
		{args: []string{"--timeout", "soon", "list"}, bad: "want a duration"},
		{args: []string{"--timeout", "-1s", "list"}, bad: "must not be negative"},
		// under a nanosecond was 0, no limit at all
		{args: []string{"--timeout", "0.1ns", "list"}, bad: "shorter than a nanosecond: give 0 for no limit, or at least 1ns"},
		{args: []string{"--timeout", "1e-10", "list"}, bad: "shorter than a nanosecond"},
		{args: []string{"--timeout", "0.0000000001", "list"}, bad: "shorter than a nanosecond"},
		{args: []string{"--timeout", "3000000000", "list"}, bad: "want at most 2147483648 seconds"},
		{args: []string{"--timeout", "NaN", "list"}, bad: "want a duration"},
		{args: []string{"--timeout", "0.0", "list"}, address: "unix:/h/.controlfreak/sock", pos: []string{"list"}},
		{args: []string{"--timeout", "0ms", "list"}, address: "unix:/h/.controlfreak/sock", pos: []string{"list"}},
		{args: []string{"--timeout", "1ns", "list"}, address: "unix:/h/.controlfreak/sock", timeout: time.Nanosecond, pos: []string{"list"}},
	}
	for _, tc := range tests {
		o, pos, err := parseFlags(tc.args, getenv)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("parseFlags(%q): %v, want an error with %q", tc.args, err, tc.bad)
			}
			if _, ok := err.(*usageError); !ok {
				t.Errorf("parseFlags(%q): %T, want a usage error", tc.args, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tc.args, err)
			continue
		}
		if o.address != tc.address || o.basedir != tc.basedir || o.json != tc.json || o.help != tc.help || o.timeout != tc.timeout || !reflect.DeepEqual(pos, tc.pos) {
			t.Errorf("parseFlags(%q) = %+v %q; want address %q basedir %q json %v help %v timeout %v pos %q",
				tc.args, *o, pos, tc.address, tc.basedir, tc.json, tc.help, tc.timeout, tc.pos)
		}
	}
}

func TestRelTime(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "0 seconds ago"},
		{0, "0 seconds ago"},
		{999 * time.Millisecond, "0 seconds ago"},
		{time.Second, "1 second ago"},
		{2 * time.Second, "2 seconds ago"},
		{59 * time.Second, "59 seconds ago"},
		{60 * time.Second, "1 minute ago"},
		{119 * time.Second, "1 minute ago"},
		{2 * time.Minute, "2 minutes ago"},
		{59*time.Minute + 59*time.Second, "59 minutes ago"},
		{time.Hour, "1 hour ago"},
		{2 * time.Hour, "2 hours ago"},
		{47*time.Hour + 59*time.Minute, "47 hours ago"},
		{48 * time.Hour, "2 days ago"},
		{400 * 24 * time.Hour, "400 days ago"},
	}
	for _, tc := range tests {
		if got := relTime(tc.d); got != tc.want {
			t.Errorf("relTime(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// ago is testNow minus d, in whole seconds, as a status time.
func ago(d time.Duration) time.Time { return time.Unix(testNow.Add(-d).Unix(), 0) }

func TestStatusFormat(t *testing.T) {
	s, m, h := time.Second, time.Minute, time.Hour
	type st = messages.StatusLine
	tests := []struct {
		name string
		st   st
		want string
	}{
		{"tutorial running", st{Name: "svc1", State: messages.Running, Pid: 42, StartTime: ago(2 * s)},
			"running  svc1                   2 seconds ago (Wed Nov 11 16:16:09 2009)"},
		{"one second", st{Name: "svc1", State: messages.Running, StartTime: ago(s)},
			"running  svc1                    1 second ago (Wed Nov 11 16:16:10 2009)"},
		{"starting uses start_time", st{Name: "s", State: messages.Starting, StartTime: ago(3 * s), StopTime: ago(h)},
			"starting s                      3 seconds ago (Wed Nov 11 16:16:08 2009)"},
		{"stopped uses stop_time", st{Name: "svc1", State: messages.Stopped, StartTime: ago(h), StopTime: ago(3 * s)},
			"stopped  svc1                   3 seconds ago (Wed Nov 11 16:16:08 2009)"},
		{"stopping uses stop_time", st{Name: "svc1", State: messages.Stopping, StartTime: ago(h), StopTime: ago(s)},
			"stopping svc1                    1 second ago (Wed Nov 11 16:16:10 2009)"},
		{"running falls back to stop_time", st{Name: "x", State: messages.Running, StopTime: ago(5 * m)},
			"running  x                      5 minutes ago (Wed Nov 11 16:11:11 2009)"},
		{"stopped falls back to start_time", st{Name: "x", State: messages.Stopped, StartTime: ago(h)},
			"stopped  x                         1 hour ago (Wed Nov 11 15:16:11 2009)"},
		{"hours", st{Name: "x", State: messages.Running, StartTime: ago(47 * h)},
			"running  x                       47 hours ago (Mon Nov  9 17:16:11 2009)"},
		{"days", st{Name: "x", State: messages.Running, StartTime: ago(72 * h)},
			"running  x                         3 days ago (Sun Nov  8 16:16:11 2009)"},
		{"fail with reason", st{Name: "web1", State: messages.Fail, StartTime: ago(10 * s), StopTime: ago(3 * s), FailReason: "Exited with error 1"},
			"fail     web1                   3 seconds ago (Wed Nov 11 16:16:08 2009) [Exited with error 1]"},
		{"fail by signal", st{Name: "web1", State: messages.Fail, StopTime: ago(2 * m), FailReason: "Received signal 9"},
			"fail     web1                   2 minutes ago (Wed Nov 11 16:14:11 2009) [Received signal 9]"},
		{"no time", st{Name: "svc1", State: messages.Stopped}, "stopped  svc1"},
		{"no time fail", st{Name: "svc1", State: messages.Fail, FailReason: "Received signal 9"}, "fail     svc1 [Received signal 9]"},
		{"epoch 0 is no time", st{Name: "svc1", State: messages.Fatal, StopTime: time.Unix(0, 0)}, "fatal    svc1"},
		{"long name", st{Name: "a-very-long-service-name-indeed", State: messages.Backoff, StopTime: ago(s)},
			"backoff  a-very-long-service-name-indeed    1 second ago (Wed Nov 11 16:16:10 2009)"},
		{"future", st{Name: "x", State: messages.Running, StartTime: ago(-time.Minute)},
			"running  x                      0 seconds ago (Wed Nov 11 16:17:11 2009)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatStatus(tc.st, testNow, time.UTC, false); got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestStatusFormatLocalTime(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	st := messages.StatusLine{Name: "svc1", State: messages.Running, StartTime: ago(2 * time.Second)}
	want := "running  svc1                   2 seconds ago (Wed Nov 11 17:16:09 2009)"
	if got := formatStatus(st, testNow, paris, false); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestStatusFormatColor(t *testing.T) {
	tests := []struct {
		state messages.State
		want  string
	}{
		{messages.Running, "\x1b[1;32mrunning\x1b[0m  x"},
		{messages.Starting, "\x1b[1;33mstarting\x1b[0m x"},
		{messages.Stopping, "\x1b[1;33mstopping\x1b[0m x"},
		{messages.Fail, "\x1b[1;31mfail\x1b[0m     x"},
		{messages.Fatal, "\x1b[1;31mfatal\x1b[0m    x"},
		{messages.Backoff, "\x1b[1;31mbackoff\x1b[0m  x"},
		{messages.Stopped, "stopped  x"},
	}
	for _, tc := range tests {
		if got := formatStatus(messages.StatusLine{Name: "x", State: tc.state}, testNow, time.UTC, true); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.state, got, tc.want)
		}
	}
}

func TestDescFormat(t *testing.T) {
	tests := []struct {
		line, want string
	}{
		{"svc1\tweb, prod\ta sleeper\t\tsleep 100", `svc1: tags="web, prod" desc="a sleeper" cmd="sleep 100"`},
		{"svc1\t\t\t\t", `svc1:`},
		{"s\t\t\tp1\t[\"perl\",\"-e\",\"1\"]", `s: proxy="p1" cmd="[\"perl\",\"-e\",\"1\"]"`},
		{"s\tt\td\tp\tsh -c 'a\tb'", `s: tags="t" desc="d" proxy="p" cmd="sh -c 'a	b'"`},
		// a \ is \\ (REFERENCE §8.2): a value ending in \ read as one
		// whose closing quote was escaped, a \" as an escaped \ and the
		// value's end, a literal \x1b as an escaped ESC
		{"s\t\tC:\\dir\\\t\tprintf \"\\\"%s\\\"\\n\" \\x1b", `s: desc="C:\\dir\\" cmd="printf \"\\\"%s\\\"\\n\" \\x1b"`},
		{"s\t\t\t\t[\"printf\",\"a\\\\n\"]", `s: cmd="[\"printf\",\"a\\\\n\"]"`},
	}
	for _, tc := range tests {
		d, err := messages.ParseDescLine(tc.line)
		if err != nil {
			t.Errorf("desc %q: %v", tc.line, err)
			continue
		}
		if got := formatDesc(descOf{DescLine: d}); got != tc.want {
			t.Errorf("desc %q: got %q, want %q", tc.line, got, tc.want)
		}
	}
	// requires, from inspect, comes last
	d := descOf{DescLine: messages.DescLine{Name: "app", Cmd: "x"}, requires: []string{"db", "cache"}, known: true}
	if got, want := formatDesc(d), `app: cmd="x" requires="db, cache"`; got != want {
		t.Errorf("desc with requires: got %q, want %q", got, want)
	}
	// a desc line's value keeps its \ (cfkd's \xNN escapes in it)
	d = descOf{DescLine: messages.DescLine{Name: "s", Desc: `C:\dir\`, Cmd: `a\x1b"`}, fromLine: true}
	if got, want := formatDesc(d), `s: desc="C:\dir\" cmd="a\x1b\""`; got != want {
		t.Errorf("desc of a desc line: got %q, want %q", got, want)
	}
}

func TestCheckArgs(t *testing.T) {
	tests := []struct {
		cmd  string
		args []string
		bad  string
	}{
		{"status", nil, ""},
		{"status", []string{"a", "b"}, ""},
		{"start", nil, "start needs at least one service reference"},
		{"restart", []string{"a"}, ""},
		{"pid", nil, "pid takes exactly one argument: NAME"},
		{"pid", []string{"a", "b"}, "pid takes exactly one argument: NAME"},
		{"load", nil, "load takes exactly one argument: FILE|-"},
		{"list", []string{"x"}, "list takes no argument"},
		{"version", []string{"x"}, "version takes no argument"},
		{"shutdown", []string{"now"}, "shutdown takes no argument"},
		{"help", []string{"a", "b"}, "help takes at most 1 argument"},
		{"bind", nil, "bind takes exactly one argument: SOCKNAME"},
	}
	for _, tc := range tests {
		err := lookup(tc.cmd).checkArgs(tc.args)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.bad {
			t.Errorf("%s %q: %q, want %q", tc.cmd, tc.args, got, tc.bad)
		}
	}
}
