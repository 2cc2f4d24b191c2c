package messages

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// declareLines runs config lines through Parse and Declare.
func declareLines(t *testing.T, text string) Declarations {
	t.Helper()
	var stmts []Statement
	for _, l := range strings.Split(text, "\n") {
		if IsBlank(l) {
			continue
		}
		st, err := Parse(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		stmts = append(stmts, st)
	}
	d, err := Declare(stmts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func planText(p []Change) string { return strings.Join(PlanLines(p), "\n") }

// TestPlanDefaultsAndSpellings: what a file leaves out has its default on
// both sides; spellings of one value are equal; add_env is a set.
func TestPlanDefaultsAndSpellings(t *testing.T) {
	have := declareLines(t, `
service a cmd=sleep 1
service a respawn_on_fail=1
service a startwait_secs=1
service a add_env=A=1
service a add_env=B=2
service a tags=x, y,x
service a desc=
service b cmd=["sleep","1"]
socket s host=[::1]
socket s service=80
socket s listen_qsize=MAX
proxy p noauto=no
`)
	want := declareLines(t, `
service a add_env=B=2
service a cmd="sleep 1"
service a add_env=A=1
service a tags=x,y
service a stopwait_secs=2.0
service b cmd= ["sleep", "1"]
socket s service=80
socket s host=::1
proxy p desc=
`)
	if p := PlanOf(have, want); len(p) != 0 {
		t.Fatalf("equal declarations, plan:\n%s", planText(p))
	}
	if got := planText(nil); got != "no changes" {
		t.Fatalf("empty plan: %q", got)
	}
}

// TestPlanExplicitDefaults: a file that spells out a default finds what
// leaves it out equal. success_exit_codes=0 (0 is clean anyway, §1.1)
// and a UNIX socket's mode=0660 (its default) were changes: an apply
// restarted a running service for nothing, and noted a socket to bind
// again.
func TestPlanExplicitDefaults(t *testing.T) {
	have := declareLines(t, `
service a cmd=sleep 1
service b cmd=sleep 1
service b success_exit_codes=3
socket u host=unix/
socket u service=/run/u.sock
`)
	want := declareLines(t, `
service a cmd=sleep 1
service a success_exit_codes=0
service b cmd=sleep 1
service b success_exit_codes=0, 3
socket u host=unix/
socket u service=/run/u.sock
socket u mode=660
`)
	if p := PlanOf(have, want); len(p) != 0 {
		t.Fatalf("equal declarations, plan:\n%s", planText(p))
	}
	want = declareLines(t, `
service a cmd=sleep 1
service a success_exit_codes=1
service b cmd=sleep 1
service b success_exit_codes=0
socket u host=unix/
socket u service=/run/u.sock
socket u mode=0600
`)
	if got := planText(PlanOf(have, want)); got != "~ a: success_exit_codes\n~ b: success_exit_codes\n~ socket u: mode" {
		t.Fatalf("plan:\n%s", got)
	}
}

// TestPlanCommandSpellings: two spellings of a command that run one argv
// (REFERENCE §2.6) are one command. `cmd=sleep 1000` over
// `cmd=["sleep","1000"]` planned `~ a: cmd`, and the apply restarted a
// running service for nothing (a proxy: ran a former declaration). A
// string that needs a shell runs as /bin/sh -c STRING, and a service
// under a proxy gets its cmd as spelled (§4.2): those stay apart.
func TestPlanCommandSpellings(t *testing.T) {
	have := declareLines(t, `
service a cmd=sleep 1000
service b cmd=["sleep","1000"]
service c cmd=sleep 1; echo x
service d cmd=echo 'a b' "c\"d"
proxy p cmd=cfk-proxy -v
proxy p service e cmd=sleep 1000
`)
	want := declareLines(t, `
service a cmd=["sleep","1000"]
service b cmd=sleep  '1000'
service c cmd=["/bin/sh","-c","sleep 1; echo x"]
service d cmd=["echo","a b","c\"d"]
proxy p cmd=["cfk-proxy","-v"]
proxy p service e cmd=sleep 1000
`)
	if p := PlanOf(have, want); len(p) != 0 {
		t.Fatalf("one argv, plan:\n%s", planText(p))
	}
	want = declareLines(t, `
service a cmd=sleep 1000 &
service b cmd=FOO=1 sleep 1000
service c cmd=["sleep","1;","echo","x"]
service d cmd=["echo","a","b","c\"d"]
proxy p cmd=cfk-proxy  -v
proxy p service e cmd=["sleep","1000"]
`)
	if got := planText(PlanOf(have, want)); got != "~ a: cmd\n~ b: cmd\n~ c: cmd\n~ d: cmd\n~ e: cmd" {
		t.Fatalf("plan:\n%s", got)
	}
}

// TestPlanTagsComparedAsASet: the order of tags selects nothing. An apply
// of `tags=y,x` over `tags=x,y` planned `~ a: tags`, a line for a change
// that changes nothing; what the tags are still counts.
func TestPlanTagsComparedAsASet(t *testing.T) {
	have := declareLines(t, `
service a cmd=sleep 1
service a tags=x,y,z
`)
	want := declareLines(t, `
service a cmd=sleep 1
service a tags=z, y,x,y
`)
	if p := PlanOf(have, want); len(p) != 0 {
		t.Fatalf("tags reordered, plan:\n%s", planText(p))
	}
	for _, tags := range []string{"x,y", "x,y,z,w", "x,y,w"} {
		want = declareLines(t, "service a cmd=sleep 1\nservice a tags="+tags)
		if got := planText(PlanOf(have, want)); got != "~ a: tags" {
			t.Fatalf("tags=%s, plan:\n%s", tags, got)
		}
	}
}

func TestPlan(t *testing.T) {
	have := declareLines(t, `
service a cmd=sleep 1
service a desc=old
service b cmd=sleep 1
service gone cmd=x
proxy p service w cmd=w
socket s host=127.0.0.1
socket s service=80
socket old host=unix/
proxy oldp cmd=x
`)
	want := declareLines(t, `
service a cmd=sleep 2
service a startwait_secs=0.5
service b cmd=sleep 1
service b tags=web
service new cmd=x
service w cmd=w
socket s host=127.0.0.1
socket s service=81
socket s nonblocking=1
socket t host=unix/
proxy p cmd=["p"]
proxy q noauto=1
`)
	got := planText(PlanOf(have, want))
	wantText := strings.Join([]string{
		"~ a: cmd, desc, startwait_secs",
		"~ b: tags",
		"- gone",
		"+ new",
		"~ w: proxy",
		"- socket old",
		"~ socket s: service, nonblocking",
		"+ socket t",
		"- proxy oldp",
		"~ proxy p: cmd",
		"+ proxy q",
	}, "\n")
	if got != wantText {
		t.Fatalf("plan\n got:\n%s\nwant:\n%s", got, wantText)
	}
}

// TestDiffEveryField: every field of the three configurations is compared
// and named by its attribute. A field added to a configuration without an
// entry in the tables of plan.go fails here.
func TestDiffEveryField(t *testing.T) {
	check := func(v any, attrs map[string]string, diff func(a, b reflect.Value) []string) {
		typ := reflect.TypeOf(v)
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Name == "Name" {
				continue
			}
			attr, ok := attrs[f.Name]
			if !ok {
				t.Errorf("%s.%s has no attribute name in plan.go", typ.Name(), f.Name)
				continue
			}
			a, b := reflect.New(typ).Elem(), reflect.New(typ).Elem()
			a.Set(reflect.ValueOf(v))
			b.Set(reflect.ValueOf(v))
			setOther(b.Field(i))
			if got := diff(a, b); !slices.Equal(got, []string{attr}) {
				t.Errorf("%s.%s changed: diff %q, want [%s]", typ.Name(), f.Name, got, attr)
			}
		}
	}
	check(NewServiceConfig("a"), serviceFieldAttrs, func(a, b reflect.Value) []string {
		return DiffService(a.Interface().(ServiceConfig), b.Interface().(ServiceConfig))
	})
	check(SocketConfig{Name: "s"}, socketFieldAttrs, func(a, b reflect.Value) []string {
		return DiffSocket(a.Interface().(SocketConfig), b.Interface().(SocketConfig))
	})
	check(NewProxyConfig("p"), proxyFieldAttrs, func(a, b reflect.Value) []string {
		return DiffProxy(a.Interface().(ProxyConfig), b.Interface().(ProxyConfig))
	})
	// every attribute of the language is a name the tables use
	names := map[string]bool{}
	for _, m := range []map[string]string{serviceFieldAttrs, socketFieldAttrs, proxyFieldAttrs} {
		for _, a := range m {
			names[a] = true
		}
	}
	for a := range serviceAttrs {
		if !names[string(a)] {
			t.Errorf("service attribute %s is no field's", a)
		}
	}
}

// setOther sets v to a value different from its current one.
func setOther(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.String {
			e.SetString("x")
		}
		v.Set(reflect.Append(v, e))
	default:
		panic("setOther: add the kind " + v.Kind().String())
	}
}

func TestNeedsRestart(t *testing.T) {
	for _, tc := range []struct {
		attrs []string
		want  bool
	}{
		{[]string{"desc"}, false},
		{[]string{"tags", "desc"}, false},
		{[]string{"desc", "cmd"}, true},
		// read at the stop or at the process's end (REFERENCE §2.9):
		// they act on the run in place (each restarted a running one)
		{[]string{"stopwait_secs"}, false},
		{[]string{"stop_signal", "success_exit_codes", "respawn_on_fail", "respawn_on_stop"}, false},
		{[]string{"respawn_max_retries", "restart_max_delay_secs", "restart_reset_secs"}, false},
		{[]string{"stopwait_secs", "startwait_secs"}, true},
		{[]string{"ready_timeout_secs"}, true},
		{[]string{"oneshot"}, true},
		{[]string{"proxy"}, true},
		// requires orders the verbs' starts and stops: the process is
		// the same (a change of it alone restarted a running service)
		{[]string{"requires"}, false},
		{[]string{"tags", "requires"}, false},
		{[]string{"requires", "oneshot"}, true},
		{[]string{"timer"}, true}, // an attribute not known here restarts
	} {
		if got := NeedsRestart(tc.attrs); got != tc.want {
			t.Errorf("NeedsRestart(%q) = %v", tc.attrs, got)
		}
	}
}

// TestDeclareLikeTheController: a later `service S` keeps the proxy; a
// later `proxy P2 service S` moves it; unset restores defaults.
func TestDeclare(t *testing.T) {
	d := declareLines(t, `
proxy p service s cmd=x
service s respawn_max_retries=3
service s respawn_max_retries=
service s stopwait_secs=0.25
proxy q service s desc=moved
command start all
`)
	want := NewServiceConfig("s")
	want.Cmd, want.StopWait, want.Desc, want.Proxy = "x", 250*time.Millisecond, "moved", "q"
	if !reflect.DeepEqual(d.Services["s"], want) {
		t.Fatalf("got %+v\nwant %+v", d.Services["s"], want)
	}
	if len(d.Proxies) != 2 || d.Proxies["p"].Name != "p" || d.Proxies["q"].Name != "q" {
		t.Fatalf("proxies %+v", d.Proxies)
	}
}

// TestPlanWithFormerProxies: a proxy whose process runs a former
// declaration has a `~` line, its own or the one of its changes, among
// the proxies, last (REFERENCE §1.6); one that runs its declaration, or
// whose desc or noauto alone changed, has none.
func TestPlanWithFormerProxies(t *testing.T) {
	plan := []Change{
		{Op: OpAdd, Kind: KindService, Name: "z"},
		{Op: OpAdd, Kind: KindSocket, Name: "z"},
		{Op: OpChange, Kind: KindProxy, Name: "d", Attrs: []string{"cmd"}},
		{Op: OpAdd, Kind: KindProxy, Name: "e"},
	}
	got := PlanLines(WithFormerProxies(plan, []string{"a", "d", "e", "f"}))
	want := []string{"+ z", "+ socket z", "~ proxy a: (running a former declaration)",
		"~ proxy d: cmd (running a former declaration)", "+ proxy e", "~ proxy f: (running a former declaration)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %q, want %q", got, want)
	}
	run := ProxyConfig{Name: "p", Cmd: "a", Env: []EnvVar{{Key: "A", Value: "1"}, {Key: "B", Value: "2"}}}
	for _, c := range []struct {
		now    ProxyConfig
		former bool
	}{
		{ProxyConfig{Name: "p", Cmd: "a", Env: []EnvVar{{Key: "B", Value: "2"}, {Key: "A", Value: "1"}}, Desc: "x", NoAuto: true}, false},
		{ProxyConfig{Name: "p", Cmd: "b", Env: run.Env}, true},
		{ProxyConfig{Name: "p", Argv: []string{"a"}, Env: run.Env}, false}, // one argv, spelled otherwise
		{ProxyConfig{Name: "p", Argv: []string{"a", "b"}, Env: run.Env}, true},
		{ProxyConfig{Name: "p", Cmd: "a"}, true},
	} {
		if got := ProxyRunChanged(run, c.now); got != c.former {
			t.Errorf("ProxyRunChanged(%+v, %+v) = %v", run, c.now, got)
		}
	}
}

// TestPlanWithFormerRuns: a service running a former declaration has a
// `~` line, its own or the one of its changes, in the order of the
// services (REFERENCE §1.6).
func TestPlanWithFormerRuns(t *testing.T) {
	plan := []Change{
		{Op: OpAdd, Kind: KindService, Name: "b"},
		{Op: OpChange, Kind: KindService, Name: "d", Attrs: []string{"desc"}},
		{Op: OpRemove, Kind: KindService, Name: "f"},
		{Op: OpAdd, Kind: KindSocket, Name: "a"},
	}
	got := PlanLines(WithFormerRuns(plan, []string{"a", "c", "d", "z"}))
	want := []string{"~ a: (running a former declaration)", "+ b", "~ c: (running a former declaration)",
		"~ d: desc (running a former declaration)", "- f", "~ z: (running a former declaration)", "+ socket a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %q, want %q", got, want)
	}
	if got := PlanLines(WithFormerRuns(nil, []string{"x"})); !reflect.DeepEqual(got, []string{"~ x: (running a former declaration)"}) {
		t.Errorf("plan of no changes = %q", got)
	}
}
