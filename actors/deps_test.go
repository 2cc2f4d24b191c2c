package actors

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// The tests of requires (REFERENCE §2.8): the order of starts and stops is
// read in the published transitions (ServiceStateChanged), which a
// service publishes as they happen.

// mark is the number of transitions recorded so far: inOrder checks what
// comes after it.
func (r *rig) mark() int { return len(r.rec.Events()) }

// inOrder checks that the transitions want ("name:state", the state
// entered), each the first of its kind recorded from index from on,
// happened in this order. They are compared by their time (At: when the
// service handled what made them), not by the order they were recorded
// in: a service tells the controller before the event stream, so that
// what the controller does next may be recorded first. Together with
// expectSeq, which fixes every transition of a service, it fixes the
// order between services.
func (r *rig) inOrder(from int, want ...string) {
	r.t.Helper()
	evs := r.rec.Events()[from:]
	var prev messages.ServiceStateChanged
	for k, w := range want {
		i := slices.IndexFunc(evs, func(e messages.ServiceStateChanged) bool { return e.Name+":"+e.To.String() == w })
		if i < 0 {
			r.t.Fatalf("no transition %s in %q", w, transitions(evs))
		}
		if k > 0 && evs[i].At.Before(prev.At) {
			r.t.Fatalf("%s happened before %s, want the order %q; transitions %q", w, want[k-1], want, transitions(evs))
		}
		prev = evs[i]
	}
}

// launchesOf returns the launches of service name, in order.
func (r *rig) launchesOf(name string) []launchRec {
	var out []launchRec
	for _, l := range r.fake.allLaunches() {
		if slices.Contains(l.Spec.Env, "CONTROL_FREAK_SERVICE="+name) {
			out = append(out, l)
		}
	}
	return out
}

// declare declares services "name cmd=sleep 100" with a short startwait,
// plus attrs ("name attr=value" lines).
func (r *rig) declare(names []string, attrs ...string) {
	r.t.Helper()
	var lines []string
	for _, n := range names {
		lines = append(lines, "service "+n+" cmd=sleep 100", "service "+n+" startwait_secs=0.02")
	}
	for _, a := range attrs {
		lines = append(lines, "service "+a)
	}
	r.ok(lines...)
}

// runAppOnDB declares app, which requires db, starts app, and returns the
// pids of both once both run.
func (r *rig) runAppOnDB() (app, db int) {
	r.t.Helper()
	r.declare([]string{"app", "db"}, "app requires=db")
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	return r.launchesOf("app")[0].Pid, r.launchesOf("db")[0].Pid
}

// Starting app starts what it requires first, each once what it requires
// in turn runs (transitively), and app once they all run; the reply comes
// once app is launched. A required service that runs is not touched.
func TestRequiresStartOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "cache", "db", "other"},
		"app requires=cache,db", "cache requires=db", "other requires=db")
	from := r.mark()
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("cache", starting, running)
	r.expectSeq("app", starting)
	r.inOrder(from, "db:running", "cache:starting", "cache:running", "app:starting")
	if n := r.fake.launchCount(); n != 3 {
		t.Fatalf("%d launches, want 3 (db, cache, app)", n)
	}
	r.expectSeq("app", running)

	// db runs: starting other does not touch it
	r.okDone("command start service other", 1)
	r.expectSeq("other", starting, running)
	r.expectQuiet("db", window)
	if got := len(r.launchesOf("db")); got != 1 {
		t.Fatalf("db launched %d times", got)
	}
	// stopping app stops app alone: what it requires stays up
	r.setAutoTerm()
	r.okDone("command stop service app", 1)
	r.expectSeq("app", stopping, stopped)
	r.expectQuiet("cache", window)
	if st := r.status("db")[1]; st != "running" {
		t.Fatalf("db %s after app stopped", st)
	}
}

// A multi-service start asks each service once what it requires runs,
// whether that one is selected too or not, and starts what is required
// once even when several require it.
func TestRequiresStartAll(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// names chosen so that name order is the reverse of the needed order
	r.declare([]string{"a1", "a2", "b", "c", "lone"}, "a1 requires=b", "a2 requires=b", "b requires=c")
	from := r.mark()
	r.okDone("command start all", 5)
	for _, n := range []string{"c", "b", "a1", "a2", "lone"} {
		r.expectSeq(n, starting, running)
	}
	r.inOrder(from, "c:running", "b:starting", "b:running", "a1:starting")
	r.inOrder(from, "b:running", "a2:starting")
	if n := r.fake.launchCount(); n != 5 {
		t.Fatalf("%d launches, want 5", n)
	}
	// start all again: every one is already up, as without requires
	got := r.exec("command start all")
	if got.Err == nil || got.Err.Error() != "Service 'a1' is already up" {
		t.Fatalf("start all again: %v %q", got.Err, got.Lines)
	}
}

// Stopping db stops what requires it first (what requires that, first),
// each once the one before is down; then db. Services with no relation
// are stopped at once.
func TestRequiresStopOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "db", "lone", "web"}, "app requires=db", "web requires=app")
	r.okDone("command start all", 4)
	pids := map[string]int{}
	for _, n := range []string{"db", "app", "web", "lone"} {
		pids[n] = r.expectSeq(n, starting, running)[0].Pid
	}

	// stop all: web and lone at once; app once web is down; db once app is
	ch := r.async("command stop all")
	r.expectSeq("web", stopping)
	r.expectSeq("lone", stopping)
	r.expectNone("app", stopping, window)
	r.fake.exit(t, pids["web"], killedBy(syscall.SIGTERM))
	r.expectSeq("web", stopped)
	r.expectSeq("app", stopping)
	r.expectNone("db", stopping, window)
	r.fake.exit(t, pids["app"], killedBy(syscall.SIGTERM))
	r.expectSeq("app", stopped)
	r.expectSeq("db", stopping)
	if rep := r.reply("stop all", ch); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 4"}) {
		t.Fatalf("stop all: %v %q", rep.Err, rep.Lines)
	}
	r.fake.exit(t, pids["db"], killedBy(syscall.SIGTERM))
	r.fake.exit(t, pids["lone"], killedBy(syscall.SIGTERM))
	r.expectSeq("db", stopped)
	r.expectSeq("lone", stopped)

	// stop db alone takes its dependents down first, in the same order
	r.setAutoTerm()
	r.okDone("command start service web", 1) // starts db, then app, then web
	for _, n := range []string{"db", "app", "web"} {
		r.expectSeq(n, starting, running)
	}
	from := r.mark()
	r.okDone("command stop service db", 1)
	for _, n := range []string{"web", "app", "db"} {
		r.expectSeq(n, stopping, stopped)
	}
	r.inOrder(from, "web:stopped", "app:stopping", "app:stopped", "db:stopping")
	r.expectQuiet("lone", window)

	// down of a down service still takes its dependents down (a dependent
	// left up by a crash of what it requires)
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting, running)
	r.ok("service db respawn_on_fail=0")
	r.fake.exit(t, r.launchesOf("db")[2].Pid, exitCode(1))
	r.expectSeq("db", fail)
	r.okDone("command down service db", 1)
	r.expectSeq("app", stopping, stopped)
}

// Shutdown and destroy take dependents down before what they require.
func TestRequiresShutdownAndDestroyOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "web", "x", "y"}, "app requires=db", "web requires=app", "y requires=x")
	r.okDone("command start all", 5)
	for _, n := range []string{"db", "app", "web", "x", "y"} {
		r.expectSeq(n, starting, running)
	}
	from := r.mark()
	r.okDone("command destroy service x", 1)
	r.expectSeq("y", stopping, stopped)
	r.expectSeq("x", stopping, stopped)
	r.inOrder(from, "y:stopped", "x:stopping")
	if got := r.ok("command list"); !slices.Equal(got, []string{"app", "db", "web", "y"}) {
		t.Fatalf("list after destroy x: %q", got)
	}

	from = r.mark()
	if got := r.ok("command shutdown"); !slices.Equal(got, []string{"done 4"}) {
		t.Fatalf("shutdown: %q", got)
	}
	for _, n := range []string{"web", "app", "db"} {
		r.expectSeq(n, stopping, stopped)
	}
	r.inOrder(from, "web:stopped", "app:stopping", "app:stopped", "db:stopping")
}

// A cycle is refused when it is declared, and the declaration changes
// nothing; a name not declared yet is accepted.
func TestRequiresCycleRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service a cmd=sleep 1", "service a requires=b", "service b cmd=sleep 1", "service b requires=c")
	r.fails("service a requires=a", "dependency cycle: a -> a")
	r.fails("service b requires=a", "dependency cycle: b -> a -> b")
	r.fails("service c requires=x,a", "dependency cycle: c -> a -> b -> c")
	// c is not declared: the failed declaration did not create it
	if got := r.ok("command list"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("list %q", got)
	}
	// b still requires c alone
	if got := r.ok("command inspect service b"); len(got) != 1 || !strings.HasSuffix(got[0], `"requires":["c"]}`) {
		t.Fatalf("inspect b %q", got)
	}
	// through a proxy's service statement too
	r.fails("proxy p service c requires=a", "dependency cycle: c -> a -> b -> c")
	// unsetting breaks the cycle
	r.ok("service a requires=", "service b requires=a")
	r.ok("service c cmd=sleep 1", "service c requires=a,b")
}

// A required service that is not declared is an error at start, and
// nothing is started for that start.
func TestRequiresNotDeclared(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "cache", "db", "lone"}, "app requires=nosuch")
	r.fails("command start service app", "Service 'app' cannot start: requires 'nosuch', which is not declared")

	// transitive: db requires what is not there, so app cannot start, and
	// neither cache nor db is started for it
	r.ok("service app requires=cache,db", "service db requires=nosuch")
	r.fails("command start service app",
		"Service 'app' cannot start: requires 'db': Service 'db' cannot start: requires 'nosuch', which is not declared")
	// in a multi-service verb, a line per failure
	got := r.ok("command up all")
	want := []string{"done 2",
		"app: Service 'app' cannot start: requires 'db': Service 'db' cannot start: requires 'nosuch', which is not declared",
		"db: Service 'db' cannot start: requires 'nosuch', which is not declared"}
	if !slices.Equal(got, want) {
		t.Fatalf("up all\n got %q\nwant %q", got, want)
	}
	r.expectSeq("cache", starting, running)
	r.expectSeq("lone", starting, running)
	r.expectNone("app", starting, window)
	if n := r.fake.launchCount(); n != 2 {
		t.Fatalf("%d launches, want 2 (cache and lone)", n)
	}
	// declaring it is enough
	r.declare([]string{"nosuch"})
	r.okDone("command start service app", 1)
	r.expectSeq("nosuch", starting, running)
	r.expectSeq("db", starting, running)
	r.expectSeq("app", starting)
}

// A required service that cannot come up (fatal here) keeps its dependent
// from starting: the reply names it and says why.
func TestRequiresFatalDependency(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "db", "lone"}, "app requires=db", "db respawn_max_retries=2", "db startwait_secs=5")
	// db dies at once twice: fatal. base is counted before the request
	// that launches db is sent.
	dies := func(base int) {
		for i := 1; i <= 2; i++ {
			r.fake.waitFor(t, fmt.Sprintf("db launch #%d", base+i), func() bool {
				n := 0
				for _, l := range r.fake.launches {
					if slices.Contains(l.Spec.Env, "CONTROL_FREAK_SERVICE=db") {
						n++
					}
				}
				return n >= base+i
			})
			r.fake.exit(t, r.launchesOf("db")[base+i-1].Pid, exitCode(1))
		}
	}
	base := len(r.launchesOf("db"))
	ch := r.async("command start service app")
	dies(base)
	rep := r.reply("start app", ch)
	want := "Service 'app' cannot start: requires 'db': Service 'db' did not come back up: fatal (Exited with error 1)"
	if rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start app: %v %q, want error %q", rep.Err, rep.Lines, want)
	}
	r.expectSeq("db", starting, backoff, starting, fatal)
	if got := r.launchesOf("app"); len(got) != 0 {
		t.Fatalf("app launched %d times", len(got))
	}

	// a multi-service verb: db itself was started (counted), app not
	// db gets its start, then a wait for it to run that starts nothing: its
	// backoff keeps its count, so two failed starts are still fatal
	base = len(r.launchesOf("db"))
	ch = r.async("command start all")
	dies(base)
	rep = r.reply("start all", ch)
	wantLines := []string{"done 2", "app: " + want}
	if rep.Err != nil || !slices.Equal(rep.Lines, wantLines) {
		t.Fatalf("start all: %v %q, want %q", rep.Err, rep.Lines, wantLines)
	}
	if got := r.launchesOf("app"); len(got) != 0 {
		t.Fatalf("app launched %d times", len(got))
	}
	if got := len(r.launchesOf("db")); got != base+2 {
		t.Fatalf("db launched %d times by start all, want 2", got-base)
	}

	// a launch that fails outright fails the dependent at once
	r.fake.failNextLaunch(syscall.ENOENT)
	r.fails("command start service app",
		"Service 'app' cannot start: requires 'db': Service 'db' failed to start: no such file or directory")
}

// restart db restarts db, then each dependent that runs, once what it
// requires runs again; one that is down stays down.
func TestRequiresRestartTakesDependents(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "lone", "off", "web"},
		"app requires=db", "web requires=app", "off requires=db")
	for _, n := range []string{"web", "lone"} {
		r.okDone("command start service "+n, 1)
	}
	for _, n := range []string{"db", "app", "web", "lone"} {
		r.expectSeq(n, starting, running)
	}
	from := r.mark()
	r.okDone("command restart service db", 1)
	// the reply came once web was started again
	r.expectSeq("db", stopping, stopped, starting, running)
	r.expectSeq("app", stopping, stopped, starting, running)
	r.expectSeq("web", stopping, stopped, starting)
	r.inOrder(from, "db:starting", "db:running", "app:stopping", "app:starting", "app:running", "web:stopping")
	r.expectQuiet("lone", window)
	r.expectQuiet("off", window)

	// restart of a dependent alone leaves what it requires running
	from = r.mark()
	r.expectSeq("web", running)
	r.okDone("command restart service app", 1)
	r.expectSeq("app", stopping, stopped, starting, running)
	r.expectSeq("web", stopping, stopped, starting)
	r.expectQuiet("db", window)

	// a rolling restart rolls db, then its dependents, one at a time
	r.expectSeq("web", running)
	from = r.mark()
	r.okDone("command rollingrestart service db", 1)
	r.expectSeq("db", stopping, stopped, starting, running)
	r.expectSeq("app", stopping, stopped, starting, running)
	r.expectSeq("web", stopping, stopped, starting, running)
	r.inOrder(from, "db:running", "app:stopping", "app:running", "web:stopping")
}

// inspect shows requires; the compat desc line keeps its five fields.
func TestRequiresShown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service app cmd=sleep 1", "service app requires=db, cache,db")
	got := r.ok("command inspect service app")
	want := `{"name":"app","state":"stopped","retries":0,"crashes":0,"restarts":0,"tags":[],"cmd":"sleep 1","requires":["db","cache"]}`
	if len(got) != 1 || got[0] != want {
		t.Fatalf("inspect\n got %q\nwant %q", got, want)
	}
	if got := r.ok("command desc service app"); !slices.Equal(got, []string{"app\t\t\t\tsleep 1"}) {
		t.Fatalf("desc %q", got)
	}
	r.ok("service app requires=")
	if got := r.ok("command inspect service app"); len(got) != 1 || strings.Contains(got[0], "requires") {
		t.Fatalf("inspect after unset %q", got)
	}
}

// A required service under a noauto proxy that is down: the start of its
// dependent is refused with the proxy's reason.
func TestRequiresProxyRefusal(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("proxy p cmd=cfk-proxy", "proxy p noauto=1", "proxy p service db cmd=sleep 1",
		"service app cmd=sleep 1", "service app requires=db")
	r.fails("command start service app",
		"Service 'app' cannot start: requires 'db': Proxy is not running, not starting service 'db'")
	if n := r.fake.launchCount(); n != 0 {
		t.Fatalf("%d launches", n)
	}
}

// A rolling restart of workers that require db leaves a running db alone;
// when db is down, it is started first, and the workers one at a time.
func TestRequiresRollingRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"db", "w1", "w2"}, "w1 tags=web", "w2 tags=web", "w1 requires=db", "w2 requires=db")
	r.okDone("command start tag web", 2)
	for _, n := range []string{"db", "w1", "w2"} {
		r.expectSeq(n, starting, running)
	}
	from := r.mark()
	r.okDone("command rollingrestart tag web", 2)
	r.expectSeq("w1", stopping, stopped, starting, running)
	r.expectSeq("w2", stopping, stopped, starting, running)
	r.inOrder(from, "w1:running", "w2:stopping")
	r.expectQuiet("db", window)

	r.okDone("command stop service db", 1) // w1 and w2 first
	for _, n := range []string{"w1", "w2", "db"} {
		r.expectSeq(n, stopping, stopped)
	}
	from = r.mark()
	r.okDone("command rollingrestart tag web", 2)
	for _, n := range []string{"db", "w1", "w2"} {
		r.expectSeq(n, starting, running)
	}
	r.inOrder(from, "db:running", "w1:starting", "w1:running", "w2:starting")
}

// The controller answers other requests while a start waits for what it
// requires: it never waits itself.
func TestRequiresControllerAnswersMeanwhile(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "db"}, "app requires=db", "db startwait_secs=1")
	ch := r.async("command start service app")
	r.expectSeq("db", starting)
	if st := r.status("app")[1]; st != "stopped" {
		t.Fatalf("app %s while db starts", st)
	}
	r.noReply("start app", ch, window)
	if got := r.ok("command list"); !slices.Equal(got, []string{"app", "db"}) {
		t.Fatalf("list %q", got)
	}
	r.expectSeq("db", running)
	if rep := r.reply("start app", ch); rep.Err != nil || !slices.Equal(rep.Lines, []string{"done 1"}) {
		t.Fatalf("start app: %v %q", rep.Err, rep.Lines)
	}
	r.expectSeq("app", starting)
}

// A dependent restarted with what it requires, that cannot start again,
// gets its line; it is not counted in done N.
func TestRequiresRestartedDependentFails(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.runAppOnDB()
	r.ok("service app cmd=") // its next start has no command
	got := r.ok("command restart service db")
	want := []string{"done 1", "app: Service 'app' has no known command"}
	if !slices.Equal(got, want) {
		t.Fatalf("restart db\n got %q\nwant %q", got, want)
	}
}

// A chain of services declared in order (s1 requires s0, s2 requires s1,
// ...) is declared without a search for a cycle at each line: each
// declaration copied the whole graph and walked the chain back to its
// start, quadratic, and 8,000 took cfkd 26 s of CPU, every other client
// waiting (make bench measures the speed; this test counts the searches). The count of
// what requires a name follows destroys and changes of requires: a cycle
// is still refused after them.
func TestRequiresLongChainDeclared(t *testing.T) {
	// not parallel: requiresSearches is the package's
	r := newRig(t)
	const n = 4000
	before := requiresSearches.Load()
	for i := 1; i < n; i++ {
		r.ok(fmt.Sprintf("service s%d requires=s%d", i, i-1))
	}
	// each line searched the chain so far (quadratic: 16,000 took 49 s);
	// nothing requires the service declared, so none is searched
	if searched := requiresSearches.Load() - before; searched != 0 {
		t.Fatalf("declaring a chain of %d searched for a cycle %d times, want 0", n, searched)
	}
	r.fails(fmt.Sprintf("service s0 requires=s%d", n-1), fmt.Sprintf("dependency cycle: s0 -> s%d", n-1)+
		func() string {
			var b strings.Builder
			for i := n - 2; i >= 0; i-- {
				fmt.Fprintf(&b, " -> s%d", i)
			}
			return b.String()
		}())
	r.ok("service s1 requires=", "service s0 requires=s5")
	r.fails("service s1 requires=s0", "dependency cycle: s1 -> s0 -> s5 -> s4 -> s3 -> s2 -> s1")
	r.okDone("command destroy service s2", 1)
	r.ok("service s1 requires=s0")
	// s3 requires s2 still, destroyed or not
	r.fails("service s2 requires=s1", "dependency cycle: s2 -> s1 -> s0 -> s5 -> s4 -> s3 -> s2")
	r.ok("service s3 requires=", "service s2 requires=s1")
	r.fails("service s3 requires=s2", "dependency cycle: s3 -> s2 -> s1 -> s0 -> s5 -> s4 -> s3")
	r.fails("service s7 requires=s7", "dependency cycle: s7 -> s7")
}
