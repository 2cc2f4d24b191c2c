package upgrade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

func sample() *State {
	svc := messages.NewServiceConfig("web")
	svc.Tags = []string{"a", "b"}
	svc.Env = []messages.EnvVar{{Key: "K", Value: "v w"}}
	deadline := time.Date(2026, 11, 30, 10, 0, 0, 123456789, time.UTC)
	return &State{
		CfkdVersion: "v1", Pid: 42, Written: deadline, Home: "/h", LogConfig: "/h/log.config",
		Lock:  3,
		Admin: &Listener{Fd: 4, Network: "unix", Addr: "/h/sock"},
		Services: []Service{{Config: svc, Group: true, Decl: 2,
			Lifecycle: lifecycle.Lifecycle{State: messages.Backoff, Gen: 7, Timer: lifecycle.TimerBackoff, Deadline: deadline, Crashes: 3},
			Exits:     []Exit{{Pid: 99, Status: syscall.WaitStatus(256)}, {Pid: 98, Status: 0x7f, Reported: "4991"}}}},
		Sockets: []Socket{{Config: messages.SocketConfig{Name: "s", Host: "127.0.0.1", Service: "0"}, Fd: 5, Service: "4242"},
			{Config: messages.SocketConfig{Name: "u"}, Fd: -1},
			{Config: messages.SocketConfig{Name: "f", Host: "unix/", Service: "/run/f.sock", User: "www-data", Group: "65534", Mode: "0640"},
				Bound: messages.SocketConfig{Name: "f", Host: "unix/", Service: "/run/f.sock", User: "nobody"}, Fd: -1},
			{Config: messages.SocketConfig{Name: "v6", Host: "::", Service: "8080", IPv6Only: true},
				Bound: messages.SocketConfig{Name: "v6", Host: "::", Service: "8080"}, Fd: -1}},
		Proxies: []Proxy{{Config: messages.NewProxyConfig("p"), CmdFd: -1, StatusFd: -1, LogFd: -1}},
		Pipes:   []osproc.FrozenPipe{{Pid: 100, Stream: "stdout", Tag: "service:web", Owner: 3, Fd: 6, Carry: []byte("partial \x00 line")}},
	}
}

func TestRoundTrip(t *testing.T) {
	st := sample()
	st.Proxies[0].Services = []ProxiedService{{Name: "web", Attempt: 1, Decl: 4, Starts: []ProxiedStart{}},
		{Name: "old", Attempt: 1, Starts: []ProxiedStart{}}, {Name: "done", LastPid: 77, Gone: true, Starts: []ProxiedStart{}}}
	b, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != Version() || got.Services[0].Lifecycle.Deadline != st.Services[0].Lifecycle.Deadline ||
		got.Services[0].Config.Env[0] != st.Services[0].Config.Env[0] || string(got.Pipes[0].Carry) != "partial \x00 line" ||
		got.Services[0].Exits[0] != st.Services[0].Exits[0] || got.Sockets[1].Fd != -1 {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", got, st)
	}
	// the declaration of a service and the one its pipes are of cross
	// (version 8, REFERENCE §6.4)
	if got.Services[0].Decl != 2 || got.Pipes[0].Owner != 3 {
		t.Errorf("decl %d, pipe's owner %d, want 2 and 3", got.Services[0].Decl, got.Pipes[0].Owner)
	}
	// the declaration a proxy last started a name for crosses (REFERENCE
	// §6.4), written only when set (the service's and web's)
	if ps := got.Proxies[0].Services; len(ps) != 3 || ps[0].Decl != 4 || ps[1].Decl != 0 || bytes.Count(b, []byte(`"decl":`)) != 2 {
		t.Errorf("proxied services %+v, want web's declaration 4, none for old", ps)
	}
	// and the pid of a name's process last reported stopped, of a name
	// asked nothing any more too (REFERENCE §4.4, §13.2), written only
	// when set
	if ps := got.Proxies[0].Services; len(ps) != 3 || ps[2].Name != "done" || ps[2].LastPid != 77 || !ps[2].Gone || ps[0].LastPid != 0 || ps[0].Gone ||
		bytes.Count(b, []byte(`"last_pid":`)) != 1 || bytes.Count(b, []byte(`"gone":`)) != 1 {
		t.Errorf("proxied services %+v, want done's last pid 77, gone", ps)
	}
	// a proxy's exit with no status of an end crosses as reported
	// (version 8, REFERENCE §4.3, §13.2), written only when set
	if got.Services[0].Exits[1] != st.Services[0].Exits[1] || bytes.Count(b, []byte(`"reported":`)) != 1 {
		t.Errorf("exit %+v, want %+v", got.Services[0].Exits[1], st.Services[0].Exits[1])
	}
	// a UNIX socket's file attributes cross, declared and as bound
	// (REFERENCE §13.2): its file keeps them, not bound again
	if got.Sockets[2] != st.Sockets[2] {
		t.Errorf("socket %+v, want %+v", got.Sockets[2], st.Sockets[2])
	}
	// so does ipv6only (REFERENCE §1.2), written only when set
	if got.Sockets[3] != st.Sockets[3] || bytes.Count(b, []byte(`"IPv6Only":true`)) != 1 {
		t.Errorf("socket %+v, want %+v", got.Sockets[3], st.Sockets[3])
	}
	if fds := got.Fds(); len(fds) != 4 {
		t.Errorf("fds %v, want lock, admin, socket, pipe", fds)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, _ := Encode(sample())
	withVersion := func(v int) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		m["version"] = v
		b, _ := json.Marshal(m)
		return b
	}
	dup := sample()
	dup.Pipes[0].Fd = 3
	dupB, _ := Encode(dup)
	low := sample()
	low.Admin.Fd = 1
	lowB, _ := Encode(low)
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"newer":   {withVersion(Version() + 1), "is newer than this cfkd's"},
		"older":   {withVersion(OldestStateVersion - 1), "is older than the oldest this cfkd reads"},
		"garbage": {[]byte("\x00not json"), "not a state document"},
		"none":    {[]byte(`{}`), "no version"},
		"unknown": {[]byte(strings.Replace(string(good), `"home"`, `"homme"`, 1)), "unknown field"},
		"dup fd":  {dupB, "fd 3 named twice"},
		"stdio":   {lowB, "fd 1 cannot cross"},
	} {
		if _, err := Decode(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v, want 0600", st.Mode())
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Encode(sample())
	if b, _ := Encode(got); !bytes.Equal(b, want) {
		t.Fatalf("read back:\n%s\nwant\n%s", b, want)
	}
}

func TestCheckLine(t *testing.T) {
	v, err := ParseCheckLine(CheckLine("v2", Version()))
	if err != nil || v != "v2" {
		t.Fatalf("%q %v", v, err)
	}
	for _, l := range []string{"", "hello", "cfkd-upgrade-ok version=v2 state=999", "cfkd-upgrade-ok version=v2"} {
		if _, err := ParseCheckLine(l); err == nil {
			t.Errorf("%q accepted", l)
		}
	}
}

// FuzzDecode: any bytes either are refused with an error, or decode into
// a state that encodes and decodes again to the same state (what crosses
// an upgrade is what was read); never a panic.
func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample())
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"admin":{"fd":3},"lock_fd":3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Decode(b)
		if err != nil {
			return
		}
		once, err := Encode(st)
		if err != nil {
			t.Fatalf("a decoded state does not encode: %v", err)
		}
		again, err := Decode(once)
		if err != nil {
			t.Fatalf("a decoded state, encoded, is refused: %v\n%s", err, once)
		}
		if twice, _ := Encode(again); !bytes.Equal(once, twice) {
			t.Fatalf("not the same state once decoded again:\n%s\n%s", once, twice)
		}
	})
}

// A document of an older version (each version only adds fields) is read:
// the cfkd before this one wrote it, and an upgrade from it must work.
// Its check line names the document's version, which that cfkd checks.
func TestDecodeReadsAnOlderVersion(t *testing.T) {
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(good, &m)
	m["version"] = OldestStateVersion
	b, _ := json.Marshal(m)
	st, err := Decode(b)
	if err != nil {
		t.Fatalf("a version %d document: %v", OldestStateVersion, err)
	}
	if st.Version != OldestStateVersion {
		t.Fatalf("version %d", st.Version)
	}
	if l := CheckLine("v", st.Version); !strings.HasSuffix(l, fmt.Sprintf("state=%d", OldestStateVersion)) {
		t.Fatalf("check line %q", l)
	}
}

// Version 7 carries a proxied service's outstanding starts (REFERENCE
// §13.2), always written: none is `[]`, told from a document of version 6
// or older, which has no `starts` and is adopted as before (nil).
func TestProxiedStartsCross(t *testing.T) {
	st := sample()
	given := ProxiedStart{Attempt: 2, Pid: 70, Left: true, StopAsked: true, Sent: 5, Next: 9, Unheld: true}
	st.Proxies[0].Services = []ProxiedService{{Name: "a", Attempt: 1, Starts: []ProxiedStart{}},
		{Name: "b", Attempt: 3, Starts: []ProxiedStart{given, {Attempt: 3, Pid: 71, Sent: 9}}}}
	b, err := Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	ps := got.Proxies[0].Services
	if ps[0].Starts == nil || len(ps[0].Starts) != 0 || len(ps[1].Starts) != 2 || ps[1].Starts[0] != given || ps[1].Starts[1].Pid != 71 {
		t.Fatalf("starts read back %+v, want %+v", ps, st.Proxies[0].Services)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	m["version"] = 6
	for _, s := range m["proxies"].([]any)[0].(map[string]any)["services"].([]any) {
		delete(s.(map[string]any), "starts")
	}
	old, _ := json.Marshal(m)
	if got, err = Decode(old); err != nil {
		t.Fatalf("a version 6 document: %v", err)
	}
	for _, s := range got.Proxies[0].Services {
		if s.Starts != nil {
			t.Fatalf("service %s of a version 6 document: starts %+v, want none carried (nil)", s.Name, s.Starts)
		}
	}
}
