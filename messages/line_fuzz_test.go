package messages

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The round-trip properties of the line codecs (see line.go), for each:
//   - a valid value x reads back as itself: ParseX(x.Format()) == x;
//   - whatever x, a line that Format wrote and ParseX accepted is written
//     back the same;
//   - a line that ParseX accepts is exactly what Format writes of the value
//     (the tab-separated ones and pids; JSON reads back as the same value),
//     save the fields a newer cfkd adds after those a sockets line knows,
//     which read as the line without them.
// Each target builds x from the fuzzed fields and also parses one fuzzed
// raw line.

// epochOf is the time of Unix seconds s, the zero time for 0.
func epochOf(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func listOf(a, b string) []string {
	var l []string
	for _, s := range []string{a, b} {
		if s != "" {
			l = append(l, s)
		}
	}
	return l
}

func sameStatus(a, b StatusLine) bool {
	return a.Name == b.Name && a.State == b.State && a.Pid == b.Pid && a.StartTime.Equal(b.StartTime) &&
		a.StopTime.Equal(b.StopTime) && a.Proxy == b.Proxy && a.ProxyDown == b.ProxyDown &&
		a.FailReason == b.FailReason && a.RunningCmd == b.RunningCmd
}

func sameDesc(a, b DescLine) bool {
	return a.Name == b.Name && slices.Equal(a.Tags, b.Tags) && a.Desc == b.Desc && a.Proxy == b.Proxy && a.Cmd == b.Cmd
}

func sameSocket(a, b SocketLine) bool {
	return a.Name == b.Name && a.Host == b.Host && a.Service == b.Service && a.Bound == b.Bound &&
		slices.Equal(a.Services, b.Services) && a.User == b.User && a.Group == b.Group && a.Mode == b.Mode
}

func sameInfo(a, b ServiceInfo) bool {
	return sameStatus(a.StatusLine(), b.StatusLine()) && a.ProxyUp == b.ProxyUp && a.Retries == b.Retries &&
		a.Crashes == b.Crashes && a.NextStart.Equal(b.NextStart) && sameDesc(a.DescLine(), b.DescLine()) &&
		slices.Equal(a.Requires, b.Requires) && a.RunningFormer == b.RunningFormer && a.Done == b.Done
}

// roundTrip checks the properties for one value and one raw line.
func roundTrip[T interface {
	Format() string
	Validate() error
}](t *testing.T, x T, raw string, parse func(string) (T, error), same func(a, b T) bool, exact bool) {
	t.Helper()
	line := x.Format()
	y, err := parse(line)
	if x.Validate() == nil && (err != nil || !same(x, y)) {
		t.Fatalf("valid %+v\nwrites %q\nreads back %+v, %v", x, line, y, err)
	}
	if err == nil {
		if y.Validate() != nil {
			t.Fatalf("%q reads as %+v, which is not valid: %v", line, y, y.Validate())
		}
		if again := y.Format(); again != line && exact {
			t.Fatalf("%+v writes %q, reads as %+v, writes %q", x, line, y, again)
		}
	}
	if v, err := parse(raw); err == nil {
		w := v.Format()
		if exact && w != raw {
			t.Fatalf("%q reads as %+v, which writes %q", raw, v, w)
		}
		if v2, err := parse(w); err != nil || !same(v, v2) {
			t.Fatalf("%q reads as %+v, writes %q, reads as %+v, %v", raw, v, w, v2, err)
		}
	}
}

func FuzzStatusLineRoundTrip(f *testing.F) {
	f.Add("svc1", 2, 4711, int64(1763738153), int64(0), "", false, "", "sleep 100",
		"svc1\trunning\t4711\t1763738153\t\t\t\tsleep 100")
	f.Add("w1", 4, 0, int64(10), int64(20), "p", true, "Exited with error 1", "sh -c 'a\tb'",
		"w1\tfail\t\t10\t20\tp!\tExited with error 1\t")
	f.Add("x", 9, -1, int64(-5), int64(1), "p!", true, "a\tb", "c\nd", "x\tstopped\t\t\t\t!\t\t")
	f.Add("a b", 0, 0, int64(0), int64(0), "", true, "", "", "a\trunning\t01\t\t\t\t\t")
	f.Fuzz(func(t *testing.T, name string, state, pid int, start, stop int64, proxy string, down bool,
		reason, cmd, raw string) {
		x := StatusLine{Name: name, State: State(state), Pid: pid, StartTime: epochOf(start), StopTime: epochOf(stop),
			Proxy: proxy, ProxyDown: down, FailReason: reason, RunningCmd: cmd}
		roundTrip(t, x, raw, ParseStatusLine, sameStatus, true)
	})
}

func FuzzDescLineRoundTrip(f *testing.F) {
	f.Add("w", "web", "db", "the web server", "", `["/bin/echo","a b"]`, "w\tweb, db\tthe web server\t\tsleep 1")
	f.Add("s", "", "", "", "p1", "sh -c 'a\tb'", "s\t\t\tp1\tsh -c 'a\tb'")
	f.Add("x y", "a,b", " c", "d\te", "p q", "\r\n", "s\tweb,prod\t\t\t")
	f.Fuzz(func(t *testing.T, name, tag1, tag2, desc, proxy, cmd, raw string) {
		x := DescLine{Name: name, Tags: listOf(tag1, tag2), Desc: desc, Proxy: proxy, Cmd: cmd}
		roundTrip(t, x, raw, ParseDescLine, sameDesc, true)
	})
}

func FuzzPidsLineRoundTrip(f *testing.F) {
	f.Add("svc1", 42, false, 0, "svc1: 42")
	f.Add("w1", 42, true, 100, "w1: 100, 42")
	f.Add("w1", 0, true, 0, "w1: , ")
	f.Add("a:b", -1, false, 3, "svc1: 1, 2, 3")
	f.Fuzz(func(t *testing.T, name string, pid int, proxied bool, proxyPid int, raw string) {
		x := PidsLine{Name: name, Pid: pid, Proxied: proxied, ProxyPid: proxyPid}
		roundTrip(t, x, raw, ParsePidsLine, func(a, b PidsLine) bool { return a == b }, true)
	})
}

func FuzzSocketLineRoundTrip(f *testing.F) {
	f.Add("web", "127.0.0.1", "8080", true, "web1", "web2", "web\t127.0.0.1\t8080\tbound\tweb1,web2")
	f.Add("adm", "unix/", "/run/a b.sock", false, "", "", "adm\tunix/\t/run/adm.sock\tunbound\t")
	f.Add("x", "::1\t", "0\n", false, "a,b", " ", "web\t127.0.0.1\t80\tup\t")
	f.Add("app", "unix/", "/run/app.sock", true, "w", "", "app\tunix/\t/run/app.sock\tbound\tw\tuser=nobody group=nogroup mode=0640")
	f.Add("web", "::1", "80", true, "a", "", "web\t::1\t80\tbound\ta\t\tlater\tfields")
	f.Add("app", "unix/", "/a", false, "", "", "app\tunix/\t/a\tunbound\t\tmode=0600\tlater")
	f.Fuzz(func(t *testing.T, name, host, service string, bound bool, svc1, svc2, raw string) {
		x := SocketLine{Name: name, Host: host, Service: service, Bound: bound, Services: listOf(svc1, svc2)}
		if len(raw) > 0 && raw[0]%2 == 0 { // a file's attributes, from the other strings
			x.User, x.Group, x.Mode = svc1, svc2, name
		}
		// the fields after the sixth, a newer cfkd's, are ignored (the
		// sixth then may be empty): raw reads as the fields it knows
		if f := strings.SplitN(raw, "\t", socketFileFields+1); len(f) > socketFileFields {
			known := strings.Join(f[:socketFileFields], "\t")
			if f[5] == "" {
				known = strings.Join(f[:socketFields], "\t")
			}
			a, errA := ParseSocketLine(raw)
			b, errB := ParseSocketLine(known)
			if (errA == nil) != (errB == nil) || errA == nil && !sameSocket(a, b) {
				t.Fatalf("%q reads as %+v, %v; its known fields %q as %+v, %v", raw, a, errA, known, b, errB)
			}
			raw = known
		}
		roundTrip(t, x, raw, ParseSocketLine, sameSocket, true)
	})
}

func FuzzServiceInfoRoundTrip(f *testing.F) {
	f.Add("web1", 6, 0, int64(1763738153), int64(1763738154), "p", false, "", "sleep 100", 2, 0,
		int64(1763738155200000000), "web", "", "desc", "sleep 100",
		`{"name":"web1","state":"backoff","stop_time":"2025-11-21T15:15:54Z","retries":2,"crashes":0,"tags":["web"]}`)
	f.Add("x", 2, 42, int64(1), int64(0), "", true, "r\tr", "c\nc", -1, 3, int64(0), "a,b", "c", "\xff", "<&>",
		`{"name":"n","state":"running","proxy":"p"}`)
	f.Fuzz(func(t *testing.T, name string, state, pid int, start, stop int64, proxy string, up bool,
		reason, cmd string, retries, crashes int, next int64, tag1, tag2, desc, cmdText, raw string) {
		x := ServiceInfo{Name: name, State: State(state), Pid: pid, StartTime: epochOf(start), StopTime: epochOf(stop),
			Proxy: proxy, ProxyUp: up, FailReason: reason, RunningCmd: cmd, Retries: retries, Crashes: crashes,
			Tags: listOf(tag1, tag2), Desc: desc, Cmd: cmdText, Requires: listOf(tag2, tag1), RunningFormer: crashes%2 == 1}
		if next != 0 {
			x.NextStart = time.Unix(0, next)
		}
		roundTrip(t, x, raw, ParseServiceInfo, sameInfo, false)
	})
}

func FuzzEventRoundTrip(f *testing.F) {
	f.Add("service", int64(1763738153123000000), "web1", "", "", "running", "fail", 4711, "Exited with error 1", "", "", "", 0,
		`{"kind":"service","time":"2025-11-21T15:15:53.123Z","service":"web1","from":"running","to":"fail","pid":4711,"reason":"Exited with error 1"}`)
	f.Add("proxy", int64(1763738153000000000), "", "p", "", "down", "up", 12, "", "", "", "", 0,
		`{"kind":"proxy","time":"2025-11-21T15:15:53Z","proxy":"p","from":"down","to":"up","pid":12}`)
	f.Add("socket", int64(1), "", "", "web", "unbound", "bound", 0, "", "[::1]:8080", "", "", 0,
		`{"kind":"socket","time":"1970-01-01T00:00:00.000000001Z","socket":"web","from":"unbound","to":"bound","address":"unix:/a b"}`)
	f.Add("cfkd", int64(1763738153000000000), "web1", "", "", "", "", 0, "", "", "warn", "web1 crashed <&> 2 times", 0,
		`{"kind":"cfkd","time":"2025-11-21T15:15:53Z","level":"error","message":"x","unknown":[1,2]}`)
	f.Add("lost", int64(0), "", "", "", "", "", 0, "", "", "", "", 1234, `{"kind":"lost","lost":1}`)
	f.Add("destroyed", int64(1763738153000000000), "web1", "", "", "", "", 0, "", "", "", "", 0,
		`{"kind":"destroyed","time":"2025-11-21T15:15:53Z","service":"web1"}`)
	f.Add("nope", int64(-1), "a b", "\xff", "", "x", "y", -1, "\n", "", "debug", "", -2, `{"kind":"lost","lost":0}`)
	f.Fuzz(func(t *testing.T, kind string, at int64, service, proxy, socket, from, to string, pid int,
		reason, address, level, message string, lost int, raw string) {
		x := Event{Kind: EventKind(kind), Service: service, Proxy: proxy, Socket: socket, From: from, To: to,
			Pid: pid, Reason: reason, Address: address, Level: level, Message: message, Lost: lost}
		if at != 0 {
			x.Time = time.Unix(0, at)
		}
		roundTrip(t, x, raw, ParseEvent, func(a, b Event) bool {
			t := a.Time.Equal(b.Time)
			a.Time, b.Time = time.Time{}, time.Time{}
			return t && a == b
		}, false)
	})
}
