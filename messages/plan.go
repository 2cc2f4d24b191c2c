package messages

import (
	"cmp"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/cfk/cfk/internal/cmdline"
)

// This file holds the comparison behind `command apply` (REFERENCE §1.4):
// a set of declarations built the way cfkd builds its own, and the plan
// that turns one set into another. The comparison is of the configuration
// values themselves (ServiceConfig, SocketConfig, ProxyConfig), field by
// field: an attribute a file leaves out has its default on both sides, and
// two spellings of one value (`yes` and `1`, `0.50` and `.5`, two commands
// that run one argv) are equal.

// Declarations is a set of services, sockets and proxies as declared, by
// name: what a config file declares, or what cfkd holds. Built once, then
// never mutated.
type Declarations struct {
	Services map[string]ServiceConfig
	Sockets  map[string]SocketConfig
	Proxies  map[string]ProxyConfig
	// RequiresAt: where each service's requires was last declared (the
	// statement's, or the file's line's, index), so that a cycle is said
	// from the service whose declaration closes it (FromClosing); nil
	// for a set not built from statements
	RequiresAt map[string]int
}

// HasEnv says whether a service or proxy of d declares add_env.
func (d Declarations) HasEnv() bool {
	for _, c := range d.Services {
		if len(c.Env) > 0 {
			return true
		}
	}
	for _, c := range d.Proxies {
		if len(c.Env) > 0 {
			return true
		}
	}
	return false
}

// NewDeclarations returns an empty set.
func NewDeclarations() Declarations {
	return Declarations{
		Services:   map[string]ServiceConfig{},
		Sockets:    map[string]SocketConfig{},
		Proxies:    map[string]ProxyConfig{},
		RequiresAt: map[string]int{},
	}
}

// Declare runs statements in order on an empty set, as cfkd runs the lines
// of a config file on a fresh start: a service, socket or proxy is created
// with its defaults on its first mention, `proxy P service S ...` declares
// P too and puts S under it. ControlCommand statements are skipped.
func Declare(stmts []Statement) (Declarations, error) {
	d := NewDeclarations()
	for i, st := range stmts {
		if err := d.declare(st, i); err != nil {
			return Declarations{}, err
		}
	}
	return d, nil
}

// declare runs one statement on d (which is being built), the at-th.
func (d Declarations) declare(st Statement, at int) error {
	switch m := st.(type) {
	case SetServiceAttr:
		cfg, ok := d.Services[m.Service]
		if !ok {
			cfg = NewServiceConfig(m.Service)
		}
		cfg, err := cfg.Apply(m.Attr, m.Value)
		if err != nil {
			return err
		}
		if m.Proxy != "" {
			if _, ok := d.Proxies[m.Proxy]; !ok {
				d.Proxies[m.Proxy] = NewProxyConfig(m.Proxy)
			}
			cfg.Proxy = m.Proxy
		}
		d.Services[m.Service] = cfg
		if m.Attr == SvcRequires {
			d.RequiresAt[m.Service] = at
		}
	case SetSocketAttr:
		cfg, ok := d.Sockets[m.Socket]
		if !ok {
			cfg = SocketConfig{Name: m.Socket}
		}
		cfg, err := cfg.Apply(m.Attr, m.Value)
		if err != nil {
			return err
		}
		d.Sockets[m.Socket] = cfg
	case SetProxyAttr:
		cfg, ok := d.Proxies[m.Proxy]
		if !ok {
			cfg = NewProxyConfig(m.Proxy)
		}
		cfg, err := cfg.Apply(m.Attr, m.Value)
		if err != nil {
			return err
		}
		d.Proxies[m.Proxy] = cfg
	}
	return nil
}

// The kinds of declaration a change is about.
type DeclKind string

// The kinds.
const (
	KindService DeclKind = "service"
	KindSocket  DeclKind = "socket"
	KindProxy   DeclKind = "proxy"
)

// ChangeOp is what a change does.
type ChangeOp byte

// The operations, as a plan line writes them.
const (
	OpAdd    ChangeOp = '+' // declared by the new set only
	OpChange ChangeOp = '~' // declared by both, with different attributes
	OpRemove ChangeOp = '-' // declared by the old set only
)

// Change is one line of a plan (see line_plan.go for its text).
type Change struct {
	Op    ChangeOp
	Kind  DeclKind
	Name  string
	Attrs []string // OpChange: the attributes that differ, in the order of REFERENCE §1.1-§1.3; else nil
	// Former: an up service whose run was launched from a declaration
	// other than its current one, in what a restart changes (a restart
	// of it was refused): an apply restarts it, its attributes the same
	// or not (OpChange, KindService); a proxy whose process was launched
	// from a declaration other than its current one, which takes effect
	// at its next run (OpChange, KindProxy); a bound socket whose bind
	// was of a declaration other than its current one, which takes
	// effect at its next bind (OpChange, KindSocket)
	Former bool
	// InPlace: a service whose changes take effect without a restart
	// (OpChange, KindService, with Attrs, never Former): what is read at
	// the stop or at the process's end, labels, requires, what acts on
	// nothing, or a run that already is of the new declaration. An apply
	// restarts nothing for it (WithInPlace)
	InPlace bool
}

// PlanOf is what turns have into want: services, then sockets, then
// proxies, each by name. Empty when they are equal.
func PlanOf(have, want Declarations) []Change {
	var plan []Change
	plan = appendChanges(plan, KindService, have.Services, want.Services, DiffService)
	plan = appendChanges(plan, KindSocket, have.Sockets, want.Sockets, DiffSocket)
	return appendChanges(plan, KindProxy, have.Proxies, want.Proxies, DiffProxy)
}

// WithFormerRuns marks in plan the services of former (by name) that run
// a former declaration: their `~` line says so, and one is added for
// each that has none, in the order of names. A service the plan adds or
// removes is left as it is.
func WithFormerRuns(plan []Change, former []string) []Change {
	return markFormer(plan, KindService, former)
}

// WithInPlace marks in place (Change.InPlace) the service `~` changes of
// plan, from have to want, that an apply restarts nothing for: those whose
// changes all take effect without a restart (NeedsRestart of ActingAttrs),
// and those of a service up whose run (runs, by name: the declarations
// the services up were launched with) already is want's in what a
// restart changes, as a run of a former declaration that the file
// declares again. A Former change, which restarts, is left as it is.
func WithInPlace(plan []Change, have, want Declarations, runs map[string]ServiceConfig) []Change {
	for i, ch := range plan {
		if ch.Kind != KindService || ch.Op != OpChange || ch.Former || len(ch.Attrs) == 0 {
			continue
		}
		h, w := have.Services[ch.Name], want.Services[ch.Name]
		run, up := runs[ch.Name]
		if !NeedsRestart(ActingAttrs(h, w, ch.Attrs)) || up && !ServiceRunChanged(run, w) {
			plan[i].InPlace = true
		}
	}
	return plan
}

// WithFormerProxies marks in plan the proxies of former (by name) whose
// process runs a former declaration, as WithFormerRuns does services: their
// `~` line says so, and one is added for each that has none. A proxy the
// plan adds or removes is left as it is.
func WithFormerProxies(plan []Change, former []string) []Change {
	return markFormer(plan, KindProxy, former)
}

// WithFormerSockets marks in plan the bound sockets of former (by name)
// whose bind was of a former declaration, as WithFormerRuns does
// services: their `~` line says so (FormerBind), and one is added for
// each that has none. A socket the plan adds or removes is left as it is.
func WithFormerSockets(plan []Change, former []string) []Change {
	return markFormer(plan, KindSocket, former)
}

// markFormer marks in plan the changes of kind named in former as runs
// of a former declaration, adding a `~` change where there is none, at
// its place in PlanOf's order (kinds, then names).
func markFormer(plan []Change, kind DeclKind, former []string) []Change {
	for _, name := range former {
		i, found := slices.BinarySearchFunc(plan, name, func(c Change, n string) int {
			if r := cmp.Compare(kindRank(c.Kind), kindRank(kind)); r != 0 {
				return r
			}
			return strings.Compare(c.Name, n)
		})
		switch {
		case !found:
			plan = slices.Insert(plan, i, Change{Op: OpChange, Kind: kind, Name: name, Former: true})
		case plan[i].Op == OpChange:
			plan[i].Former = true
		}
	}
	return plan
}

// kindRank is the place of a kind in PlanOf's order: services, sockets,
// proxies.
func kindRank(k DeclKind) int {
	switch k {
	case KindService:
		return 0
	case KindSocket:
		return 1
	default:
		return 2
	}
}

func appendChanges[C any](plan []Change, kind DeclKind, have, want map[string]C, diff func(a, b C) []string) []Change {
	names := make([]string, 0, len(have)+len(want))
	for n := range have {
		names = append(names, n)
	}
	for n := range want {
		if _, ok := have[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		h, inHave := have[n]
		w, inWant := want[n]
		switch {
		case !inHave:
			plan = append(plan, Change{Op: OpAdd, Kind: kind, Name: n})
		case !inWant:
			plan = append(plan, Change{Op: OpRemove, Kind: kind, Name: n})
		default:
			if attrs := diff(h, w); len(attrs) > 0 {
				plan = append(plan, Change{Op: OpChange, Kind: kind, Name: n, Attrs: attrs})
			}
		}
	}
	return plan
}

// The attribute each field of a configuration holds: what a plan line
// names when the field differs. Cmd and Argv are both `cmd`; a service's
// Proxy is `proxy` (set by `proxy P service S ...`). Every field but Name
// must be listed (a test checks it); one that is not is named by its Go
// name in lower case rather than ignored.
var (
	serviceFieldAttrs = map[string]string{
		"Cmd": string(SvcCmd), "Argv": string(SvcCmd), "Desc": string(SvcDesc), "Tags": string(SvcTags),
		"Env": string(SvcAddEnv), "TieStdinTo": string(SvcTieStdinTo), "ListenSockets": string(SvcListenSockets),
		"IgnoreStdout": string(SvcIgnoreStdout), "IgnoreStderr": string(SvcIgnoreStderr),
		"RespawnOnFail": string(SvcRespawnOnFail), "RespawnOnStop": string(SvcRespawnOnStop),
		"MaxRetries": string(SvcRespawnMaxRetries), "StartWait": string(SvcStartwaitSecs),
		"StopWait": string(SvcStopwaitSecs), "RestartMaxDelay": string(SvcRestartMaxDelaySecs),
		"RestartReset": string(SvcRestartResetSecs), "NoNewSession": string(SvcNoNewSession),
		"Cwd": string(SvcCwd), "User": string(SvcUser), "Group": string(SvcGroup), "Proxy": "proxy",
		"Ready": string(SvcReady), "ReadyTimeout": string(SvcReadyTimeoutSecs), "Watchdog": string(SvcWatchdogSecs),
		"StopSignal": string(SvcStopSignal), "SuccessCodes": string(SvcSuccessExitCodes),
		"EnvFile": string(SvcEnvFile), "Requires": string(SvcRequires), "OneShot": string(SvcOneShot),
		"Umask": string(SvcUmask), "LimitNofile": string(SvcLimitNofile),
	}
	socketFieldAttrs = map[string]string{
		"Host": string(SockHost), "Service": string(SockService), "Nonblocking": string(SockNonblocking),
		"Qsize": string(SockListenQsize), "User": string(SockUser), "Group": string(SockGroup),
		"Mode": string(SockMode), "IPv6Only": string(SockIPv6Only),
	}
	proxyFieldAttrs = map[string]string{
		"Cmd": string(ProxyCmd), "Argv": string(ProxyCmd), "Desc": string(ProxyDesc),
		"NoAuto": string(ProxyNoauto), "Env": string(ProxyAddEnv),
	}
)

// DiffService names the attributes whose values differ between a and b.
// The commands of a service cfkd forks itself are compared by the argv
// they run (sameCommand); under a proxy, as declared: the proxy gets cmd
// as it is spelled (REFERENCE §4.2) and runs it its own way.
func DiffService(a, b ServiceConfig) []string {
	d := diffFields(a, b, serviceFieldAttrs)
	if a.Proxy == "" && b.Proxy == "" {
		d = withoutSameCommand(d, a.Cmd, a.Argv, b.Cmd, b.Argv)
	}
	return d
}

// DiffSocket names the attributes whose values differ between a and b.
func DiffSocket(a, b SocketConfig) []string { return diffFields(a, b, socketFieldAttrs) }

// DiffProxy names the attributes whose values differ between a and b,
// their commands compared by the argv cfkd runs (REFERENCE §4.1).
func DiffProxy(a, b ProxyConfig) []string {
	return withoutSameCommand(diffFields(a, b, proxyFieldAttrs), a.Cmd, a.Argv, b.Cmd, b.Argv)
}

// withoutSameCommand drops cmd from the attributes d when the two
// commands run one argv (REFERENCE §2.6): `sleep 1000` and
// ["sleep","1000"], `sleep '1000'` and `sleep 1000`. A string that needs
// a shell runs as `/bin/sh -c STRING`: `sleep 1; echo` equals only the
// array of those three words, never ["sleep","1;","echo"].
func withoutSameCommand(d []string, aCmd string, aArgv []string, bCmd string, bArgv []string) []string {
	i := slices.Index(d, string(SvcCmd))
	if i < 0 {
		return d
	}
	x, err := cmdline.Argv(aCmd, aArgv)
	if err != nil {
		return d
	}
	if y, err := cmdline.Argv(bCmd, bArgv); err != nil || !slices.Equal(x, y) {
		return d
	}
	return slices.Delete(d, i, i+1)
}

// ProxyRunChanged reports whether a proxy process launched with
// declaration run would be launched otherwise with now: its cmd or its
// add_env differ (desc and noauto change no process). Such a process runs
// a former declaration (REFERENCE §1.4).
func ProxyRunChanged(run, now ProxyConfig) bool {
	for _, a := range DiffProxy(run, now) {
		if a != "desc" && a != "noauto" {
			return true
		}
	}
	return false
}

// diffFields compares two structs of the same type field by field (Name
// aside) and names the attributes of those that differ, in field order,
// each once. An empty slice equals nil; tags and requires are compared as
// sets, add_env pairs as a set (their order changes no environment: each
// key is there once).
func diffFields(a, b any, attrs map[string]string) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := 0; i < va.NumField(); i++ {
		f := va.Type().Field(i)
		if f.Name == "Name" || sameField(va.Field(i), vb.Field(i)) || (f.Name == "Tags" || f.Name == "Requires") && sameSet(va.Field(i), vb.Field(i)) ||
			sameEffect(f.Name, va.Field(i), vb.Field(i)) {
			continue
		}
		attr, ok := attrs[f.Name]
		if !ok {
			attr = strings.ToLower(f.Name)
		}
		if !slices.Contains(out, attr) {
			out = append(out, attr)
		}
	}
	return out
}

// defaultMode is the mode of a UNIX socket's file whose mode is not
// declared (REFERENCE §1.2).
const defaultMode = "0660"

// sameEffect says whether two values a declaration spells apart act the
// same: success_exit_codes with or without 0 (an exit 0 is clean anyway,
// REFERENCE §1.1), a socket's mode unset or 0660, its default.
func sameEffect(field string, a, b reflect.Value) bool {
	switch field {
	case "SuccessCodes":
		nonZero := func(v reflect.Value) []string {
			codes, _ := v.Interface().([]string)
			return slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return c == "0" })
		}
		return slices.Equal(nonZero(a), nonZero(b))
	case "Mode":
		mode := func(v reflect.Value) string {
			if m := v.String(); m != "" {
				return m
			}
			return defaultMode
		}
		return mode(a) == mode(b)
	}
	return false
}

// sameSet compares two []string as sets: the order of tags and requires
// changes nothing (a tag selects the service or not; what a service
// requires is brought up before it, all of it).
func sameSet(a, b reflect.Value) bool {
	x, _ := a.Interface().([]string)
	y, _ := b.Interface().([]string)
	x, y = slices.Clone(x), slices.Clone(y)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func sameField(a, b reflect.Value) bool {
	if a.Kind() == reflect.Slice && a.Len() == 0 && b.Len() == 0 {
		return true
	}
	if ea, ok := a.Interface().([]EnvVar); ok {
		return sameEnv(ea, b.Interface().([]EnvVar))
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// sameEnv compares two lists of pairs with unique keys as sets.
func sameEnv(a, b []EnvVar) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[string]string, len(a))
	for _, e := range a {
		m[e.Key] = e.Value
	}
	for _, e := range b {
		if v, ok := m[e.Key]; !ok || v != e.Value {
			return false
		}
	}
	return true
}

// keptRunAttrs are the attributes whose change leaves the process as it
// is, taking effect on it in place: the labels (desc, tags), which change
// what desc shows and what a tag selects; requires, which orders the
// starts and stops of the verbs (REFERENCE §2.8) and holds from the next,
// as systemd's After= and Requires= do after a daemon-reload; and what
// cfkd reads only at the stop or at the process's end (REFERENCE §2.9):
// stopwait_secs and stop_signal at the stop, success_exit_codes, the
// respawn_ and restart_ attributes at the end, as systemd takes a
// TimeoutStopSec= or a Restart= at a daemon-reload. The service actor's
// policy is made of its current declaration at each event (not of its
// run's), so that these act on the run from the next stop or end. What is
// read at the launch (the process itself, startwait_secs, ready,
// ready_timeout_secs, watchdog_secs, oneshot, whose run is never
// running) is not here: its run must be restarted for it.
var keptRunAttrs = []string{
	string(SvcDesc), string(SvcTags), string(SvcRequires),
	string(SvcStopwaitSecs), string(SvcStopSignal), string(SvcSuccessExitCodes),
	string(SvcRespawnOnFail), string(SvcRespawnOnStop), string(SvcRespawnMaxRetries),
	string(SvcRestartMaxDelaySecs), string(SvcRestartResetSecs),
}

// NeedsRestart reports whether a change of these service attributes
// concerns the process, so that a running one must be restarted for the
// change to take effect: any attribute but those of keptRunAttrs.
func NeedsRestart(attrs []string) bool {
	for _, a := range attrs {
		if !slices.Contains(keptRunAttrs, a) {
			return true
		}
	}
	return false
}

// ActingAttrs is attrs, the attributes that differ between declarations
// a and b (DiffService), without those that act on nothing in either
// (REFERENCE §1.4, §2.9): watchdog_secs where ready is not notify (no
// notify socket to ping on), ready_timeout_secs where there is no ready
// (the run is running at startwait_secs), and, for a service under the
// same proxy in both, what the proxy's start line does not carry
// (proxyIgnored). A change of ready itself is kept, and acts.
func ActingAttrs(a, b ServiceConfig, attrs []string) []string {
	inert := func(attr string) bool {
		switch attr {
		case string(SvcWatchdogSecs):
			return a.Ready != string(ReadyNotify) && b.Ready != string(ReadyNotify)
		case string(SvcReadyTimeoutSecs):
			return a.Ready == "" && b.Ready == ""
		}
		return proxyIgnored(a, b, attr)
	}
	if !slices.ContainsFunc(attrs, inert) {
		return attrs
	}
	return slices.DeleteFunc(slices.Clone(attrs), inert)
}

// proxyIgnored says whether attr, differing between a and b, is one the
// proxy both run under ignores (REFERENCE §1.1, §4.2: the start line
// carries no identity, umask, limit of open files nor working directory;
// each start warns of the first three): umask and limit_nofile always;
// user and group unless a ready=exec: probe, which cfkd runs as them,
// is declared in either; cwd unless such a probe, which runs there, or
// a relative env_file, which cfkd reads from there, is. A move to
// another proxy, or out of one, is a change of proxy, which acts.
func proxyIgnored(a, b ServiceConfig, attr string) bool {
	if a.Proxy == "" || a.Proxy != b.Proxy {
		return false
	}
	probe := func(c ServiceConfig) bool { kind, _ := Ready(c.Ready); return kind == ReadyExec }
	relEnvFile := func(c ServiceConfig) bool { return c.EnvFile != "" && !filepath.IsAbs(c.EnvFile) }
	switch attr {
	case string(SvcUmask), string(SvcLimitNofile):
		return true
	case string(SvcUser), string(SvcGroup):
		return !probe(a) && !probe(b)
	case string(SvcCwd):
		return !probe(a) && !probe(b) && !relEnvFile(a) && !relEnvFile(b)
	}
	return false
}

// ServiceRunChanged reports whether a run launched with declaration run
// would be launched otherwise with now, so that it must be restarted for
// now to take effect: they differ in an attribute that acts (ActingAttrs)
// and concerns the process (NeedsRestart). Such a run, up, runs a former
// declaration (REFERENCE §1.4).
func ServiceRunChanged(run, now ServiceConfig) bool {
	return NeedsRestart(ActingAttrs(run, now, DiffService(run, now)))
}
