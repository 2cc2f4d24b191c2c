package messages

import (
	"strings"
	"testing"
	"time"
)

func TestStatusLineFormat(t *testing.T) {
	at := func(s int64) time.Time { return time.Unix(s, 0) }
	tests := []struct {
		l    StatusLine
		want string
	}{
		{StatusLine{Name: "s"}, "s\tstopped\t\t\t\t\t\t"},
		{StatusLine{Name: "svc1", State: Running, Pid: 4711, StartTime: at(1763738153), RunningCmd: "sleep 100"},
			"svc1\trunning\t4711\t1763738153\t\t\t\tsleep 100"},
		{StatusLine{Name: "w1", State: Fail, StartTime: at(10), StopTime: at(20), Proxy: "p", ProxyDown: true,
			FailReason: "proxy stopped"}, "w1\tfail\t\t10\t20\tp!\tproxy stopped\t"},
		{StatusLine{Name: "w1", State: Running, Pid: 9, Proxy: "p"}, "w1\trunning\t9\t\t\tp\t\t"},
		{StatusLine{Name: "x", State: Backoff, StopTime: time.Unix(5, 999e6)}, "x\tbackoff\t\t\t5\t\t\t"},
		// line breaks never, tabs only in the last field
		{StatusLine{Name: "x", State: Fail, FailReason: "a\tb\nc", RunningCmd: "sh -c 'a\tb'\r\n"},
			"x\tfail\t\t\t\t\ta b c\tsh -c 'a\tb'  "},
		// ProxyDown alone is nothing to show
		{StatusLine{Name: "x", ProxyDown: true}, "x\tstopped\t\t\t\t\t\t"},
	}
	for _, tc := range tests {
		if got := tc.l.Format(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.l, got, tc.want)
		}
	}
}

func TestParseStatusLine(t *testing.T) {
	l, err := ParseStatusLine("w1\tfail\t\t10\t20\tp!\tExited with error 1\tsh -c 'a\tb'")
	want := StatusLine{Name: "w1", State: Fail, StartTime: time.Unix(10, 0), StopTime: time.Unix(20, 0),
		Proxy: "p", ProxyDown: true, FailReason: "Exited with error 1", RunningCmd: "sh -c 'a\tb'"}
	if err != nil || !sameStatus(l, want) {
		t.Fatalf("got %+v, %v", l, err)
	}
	for _, tc := range []struct{ line, err string }{
		{"", "want 8 tab-separated fields, got 1"},
		{"svc1\tstopped", "want 8 tab-separated fields, got 2"},
		{"\tstopped\t\t\t\t\t\t", "empty name"},
		{"a b\tstopped\t\t\t\t\t\t", `invalid name "a b"`},
		{"a\tdead\t\t\t\t\t\t", `unknown state "dead"`},
		{"a\trunning\tx\t\t\t\t\t", `pid "x" is not a positive integer`},
		{"a\trunning\t0\t\t\t\t\t", `pid "0" is not a positive integer`},
		{"a\trunning\t-1\t\t\t\t\t", `pid "-1" is not a positive integer`},
		{"a\trunning\t+1\t\t\t\t\t", `pid "+1" is not a positive integer`},
		{"a\trunning\t01\t\t\t\t\t", `pid "01" is not a positive integer`},
		{"a\trunning\t1\tsoon\t\t\t\t", `start_time "soon" is not Unix seconds`},
		{"a\trunning\t1\t1.5\t\t\t\t", `start_time "1.5" is not Unix seconds`},
		{"a\tstopped\t\t\t99999999999999999999\t\t\t", `stop_time "99999999999999999999" is not Unix seconds`},
		{"a\tfail\t\t\t\t!\t\t", "empty proxy"},
		{"a\tfail\t\t\t\tp!!\t\t", `invalid proxy "p!"`},
		{"a\tfail\t\t\t\t\tr\rr\t", "fail_reason"},
	} {
		_, err := ParseStatusLine(tc.line)
		if err == nil || !strings.HasPrefix(err.Error(), "malformed status line: ") || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseStatusLine(%q) = %v, want %q", tc.line, err, tc.err)
		}
	}
}

func TestDescLine(t *testing.T) {
	l := DescLine{Name: "w", Tags: []string{"web", "db"}, Desc: "the web\tserver", Proxy: "p", Cmd: `["/bin/echo","a b"]`}
	want := "w\tweb, db\tthe web server\tp\t" + `["/bin/echo","a b"]`
	if got := l.Format(); got != want {
		t.Fatalf("Format %q, want %q", got, want)
	}
	if got := (DescLine{Name: "n"}).Format(); got != "n\t\t\t\t" {
		t.Fatalf("Format of a bare desc %q", got)
	}
	got, err := ParseDescLine("s\tt\td\tp\tsh -c 'a\tb'")
	if err != nil || got.Name != "s" || len(got.Tags) != 1 || got.Tags[0] != "t" || got.Desc != "d" || got.Proxy != "p" || got.Cmd != "sh -c 'a\tb'" {
		t.Fatalf("ParseDescLine: %+v, %v", got, err)
	}
	for _, tc := range []struct{ line, err string }{
		{"svc1", "want 5 tab-separated fields, got 1"},
		{"\t\t\t\t", "empty name"},
		{"s\tweb,prod\t\t\t", `invalid tag "web,prod"`},
		{"s\tweb, \t\t\t", "empty tag"},
		{"s\tweb,  prod\t\t\t", `invalid tag " prod"`},
		{"s\t\t\tp q\t", `invalid proxy "p q"`},
	} {
		_, err := ParseDescLine(tc.line)
		if err == nil || !strings.HasPrefix(err.Error(), "malformed desc line: ") || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseDescLine(%q) = %v, want %q", tc.line, err, tc.err)
		}
	}
}

func TestPidsLine(t *testing.T) {
	for _, tc := range []struct {
		l    PidsLine
		line string
	}{
		{PidsLine{Name: "svc1", Pid: 42}, "svc1: 42"},
		{PidsLine{Name: "svc1"}, "svc1: "},
		{PidsLine{Name: "w1", Proxied: true, ProxyPid: 100, Pid: 42}, "w1: 100, 42"},
		{PidsLine{Name: "w1", Proxied: true}, "w1: , "},
		{PidsLine{Name: "w1", Proxied: true, Pid: 42}, "w1: , 42"},
	} {
		if got := tc.l.Format(); got != tc.line {
			t.Errorf("Format %+v = %q, want %q", tc.l, got, tc.line)
		}
		if got, err := ParsePidsLine(tc.line); err != nil || got != tc.l {
			t.Errorf("ParsePidsLine(%q) = %+v, %v", tc.line, got, err)
		}
	}
	for _, tc := range []struct{ line, err string }{
		{"svc1", `want "NAME: PID"`},
		{"svc1:42", `want "NAME: PID"`},
		{": 42", "empty name"},
		{"svc1: x", `pid "x" is not a positive integer`},
		{"svc1: 1, 2, 3", `pid "2, 3" is not a positive integer`},
		{"svc1: 42 ", `pid "42 " is not a positive integer`},
		{"a:b: 42", `invalid name "a:b"`},
	} {
		_, err := ParsePidsLine(tc.line)
		if err == nil || !strings.HasPrefix(err.Error(), "malformed pids line: ") || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParsePidsLine(%q) = %v, want %q", tc.line, err, tc.err)
		}
	}
}

func TestSocketLine(t *testing.T) {
	for _, tc := range []struct {
		l    SocketLine
		line string
	}{
		{SocketLine{Name: "web", Host: "127.0.0.1", Service: "4242", Bound: true, Services: []string{"s1", "s2"}},
			"web\t127.0.0.1\t4242\tbound\ts1,s2"},
		{SocketLine{Name: "web", Host: "127.0.0.1", Service: "0"}, "web\t127.0.0.1\t0\tunbound\t"},
		{SocketLine{Name: "adm", Host: "unix/", Service: "/run/a b.sock"}, "adm\tunix/\t/run/a b.sock\tunbound\t"},
		{SocketLine{Name: "s"}, "s\t\t\tunbound\t"},
		// a UNIX socket's file attributes: a sixth field, those set only
		{SocketLine{Name: "app", Host: "unix/", Service: "/run/app.sock", Bound: true, Services: []string{"w1"},
			User: "nobody", Group: "nogroup", Mode: "0640"}, "app\tunix/\t/run/app.sock\tbound\tw1\tuser=nobody group=nogroup mode=0640"},
		{SocketLine{Name: "app", Host: "unix/", Service: "/run/app.sock", Group: "33"}, "app\tunix/\t/run/app.sock\tunbound\t\tgroup=33"},
		{SocketLine{Name: "app", Host: "unix/", Service: "/run/app.sock", Mode: "0600"}, "app\tunix/\t/run/app.sock\tunbound\t\tmode=0600"},
	} {
		if got := tc.l.Format(); got != tc.line {
			t.Errorf("Format %+v = %q, want %q", tc.l, got, tc.line)
		}
		if got, err := ParseSocketLine(tc.line); err != nil || !sameSocket(got, tc.l) {
			t.Errorf("ParseSocketLine(%q) = %+v, %v", tc.line, got, err)
		}
	}
	for _, tc := range []struct{ line, err string }{
		{"web\t127.0.0.1\t80\tbound", "want 5 tab-separated fields (6 with a file's), got 4"},
		{"web\t127.0.0.1\t80\tup\t", `state "up" is neither bound nor unbound`},
		{"web\t127.0.0.1\t80\tbound\ta,,b", "empty service name"},
		{"web\t127.0.0.1\t80\tbound\ta\tb", `invalid file field "b"`},
		{"web\tunix/\t/a\tbound\ta\t", `invalid file field ""`},
		{"web\tunix/\t/a\tbound\ta\tmode=0600 user=x", `invalid file field "mode=0600 user=x"`},
		{"web\tunix/\t/a\tbound\ta\tuser=x user=y", `invalid file field "user=x user=y"`},
		{"web\tunix/\t/a\tbound\ta\tuser=", `invalid file field "user="`},
		{"web\tunix/\t/a\tbound\ta\tuser=a=b", `invalid user "a=b"`},
		{"web\tunix/\t/a\tbound\ta\tuser=a=b\tX", `invalid user "a=b"`},
	} {
		_, err := ParseSocketLine(tc.line)
		if err == nil || !strings.HasPrefix(err.Error(), "malformed sockets line: ") || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseSocketLine(%q) = %v, want %q", tc.line, err, tc.err)
		}
	}
}

func TestServiceInfo(t *testing.T) {
	i := ServiceInfo{Name: "web1", State: Backoff, StopTime: time.Unix(1763738154, 0),
		Proxy: "p", FailReason: "", Retries: 2, NextStart: time.Unix(1763738155, 2e8),
		Restarts: 4, LastExit: "exit 1", LastExitTime: time.Unix(1763738154, 0), NotifyStatus: "warming up",
		Tags: []string{"web"}, Cmd: "a && b"}
	want := `{"name":"web1","state":"backoff","stop_time":"2025-11-21T15:15:54Z","proxy":"p","proxy_up":false,` +
		`"retries":2,"crashes":0,"next_start":"2025-11-21T15:15:55.2Z","restarts":4,"last_exit":"exit 1",` +
		`"last_exit_time":"2025-11-21T15:15:54Z","notify_status":"warming up","tags":["web"],"cmd":"a && b"}`
	if got := i.Format(); got != want {
		t.Fatalf("Format\n got %s\nwant %s", got, want)
	}
	if got := (ServiceInfo{Name: "n"}).Format(); got != `{"name":"n","state":"stopped","retries":0,"crashes":0,"restarts":0,"tags":[]}` {
		t.Fatalf("Format of a new service %s", got)
	}
	got, err := ParseServiceInfo(want)
	if err != nil || !sameInfo(got, i) {
		t.Fatalf("ParseServiceInfo: %+v, %v", got, err)
	}
	if st := got.StatusLine().Format(); st != "web1\tbackoff\t\t\t1763738154\tp!\t\t" {
		t.Fatalf("StatusLine %q", st)
	}
	if d := got.DescLine().Format(); d != "web1\tweb\t\tp\ta && b" {
		t.Fatalf("DescLine %q", d)
	}
	// requires: at the end, only when there is one
	r := ServiceInfo{Name: "app", Tags: []string{"web"}, Cmd: "x", Requires: []string{"db", "cache"}}
	rline := `{"name":"app","state":"stopped","retries":0,"crashes":0,"restarts":0,"tags":["web"],"cmd":"x","requires":["db","cache"]}`
	if got := r.Format(); got != rline {
		t.Fatalf("Format with requires\n got %s\nwant %s", got, rline)
	}
	if got, err := ParseServiceInfo(rline); err != nil || !sameInfo(got, r) {
		t.Fatalf("ParseServiceInfo with requires: %+v, %v", got, err)
	}
	// running_former: at the very end, only when true (REFERENCE §1.6)
	f := ServiceInfo{Name: "app", State: Running, Tags: []string{}, Cmd: "x", RunningFormer: true}
	fline := `{"name":"app","state":"running","retries":0,"crashes":0,"restarts":0,"tags":[],"cmd":"x","running_former":true}`
	if got := f.Format(); got != fline {
		t.Fatalf("Format running a former declaration\n got %s\nwant %s", got, fline)
	}
	if got, err := ParseServiceInfo(fline); err != nil || !sameInfo(got, f) {
		t.Fatalf("ParseServiceInfo running a former declaration: %+v, %v", got, err)
	}
	// done: last, only when true (REFERENCE §2.10)
	d := ServiceInfo{Name: "migrate", State: Stopped, Tags: []string{}, Done: true}
	dline := `{"name":"migrate","state":"stopped","retries":0,"crashes":0,"restarts":0,"tags":[],"done":true}`
	if got := d.Format(); got != dline {
		t.Fatalf("Format of a oneshot done\n got %s\nwant %s", got, dline)
	}
	if got, err := ParseServiceInfo(dline); err != nil || !sameInfo(got, d) {
		t.Fatalf("ParseServiceInfo of a oneshot done: %+v, %v", got, err)
	}
	if got, err := ParseServiceInfo(`{"name":"n","state":"running","requires":[]}`); err != nil || got.Requires != nil {
		t.Fatalf("empty requires: %+v, %v", got, err)
	}
	// unknown keys are for a newer cfkd
	if _, err := ParseServiceInfo(`{"name":"n","state":"running","later":[1,2]}`); err != nil {
		t.Fatalf("unknown key: %v", err)
	}
	for _, tc := range []struct{ line, err string }{
		{"", "unexpected end of JSON input"},
		{"null", "unknown state"},
		{`{"state":"running"}`, "empty name"},
		{`{"name":"n","state":"up"}`, `unknown state "up"`},
		{`{"name":"n","state":"running","pid":-1}`, "pid -1 out of range"},
		{`{"name":"n","state":"running","pid":1.5}`, "cannot unmarshal"},
		{`{"name":"n","state":"running","retries":-2}`, "negative count"},
		{`{"name":"n","state":"running","proxy":"p"}`, `proxy "p" without proxy_up`},
		{`{"name":"n","state":"running","proxy_up":true}`, "proxy_up without a proxy"},
		{`{"name":"n","state":"running","next_start":"soon"}`, `next_start "soon" is not an RFC 3339 time`},
		{`{"name":"n","state":"running","tags":["a,b"]}`, `invalid tag "a,b"`},
		{`{"name":"n","state":"running","requires":["a b"]}`, `invalid required service "a b"`},
		{`{"name":"n","state":"running"} x`, "invalid character"},
	} {
		_, err := ParseServiceInfo(tc.line)
		if err == nil || !strings.HasPrefix(err.Error(), "malformed inspect line: ") || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseServiceInfo(%q) = %v, want %q", tc.line, err, tc.err)
		}
	}
}

// NewServiceInfo and StatusLine, DescLine are inverses.
func TestServiceInfoParts(t *testing.T) {
	st := StatusLine{Name: "w1", State: Running, Pid: 7, StartTime: time.Unix(3, 0), Proxy: "p", RunningCmd: "x"}
	d := DescLine{Name: "w1", Tags: []string{"a"}, Desc: "d", Proxy: "p", Cmd: "x"}
	i := NewServiceInfo(st, d)
	if !i.ProxyUp || !sameStatus(i.StatusLine(), st) || !sameDesc(i.DescLine(), d) {
		t.Fatalf("%+v", i)
	}
	st.ProxyDown = true
	if i = NewServiceInfo(st, d); i.ProxyUp || !i.StatusLine().ProxyDown {
		t.Fatalf("proxy down: %+v", i)
	}
}

// field and lastField keep the bytes they do not replace, valid UTF-8 or
// not (strings.Map made each invalid byte U+FFFD).
func TestFieldsKeepTheOtherBytes(t *testing.T) {
	if got := field("a\xff\tb\rc"); got != "a\xff b c" {
		t.Errorf("field: %q", got)
	}
	if got := lastField("a\xff\tb\nc"); got != "a\xff\tb c" {
		t.Errorf("lastField: %q", got)
	}
}
