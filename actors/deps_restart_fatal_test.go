package actors

import (
	"fmt"
	"slices"
	"testing"
)

// A restart of db that cannot bring it back (fatal) leaves app, which
// requires db and ran, with its old process: it is not stopped, since it
// could not be started again. The reply said only `done 1`; it now has a
// line for app saying it was not restarted, and why (REFERENCE §2.8).
func TestRestartWithRequiredFatalNamesTheDependentsLeft(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "web"}, "app requires=db", "web requires=app", "db respawn_max_retries=2")
	r.okDone("command start service web", 1)
	for _, n := range []string{"db", "app", "web"} {
		r.expectSeq(n, starting, running)
	}
	appPid := r.launchesOf("app")[0].Pid
	r.ok("service db startwait_secs=5")
	ch := r.async("command restart service db")
	r.expectSeq("db", stopping, stopped)
	for i := 1; i <= 2; i++ { // its new runs die at once: fatal
		r.fake.waitFor(t, fmt.Sprintf("db launch #%d", i+1), func() bool {
			n := 0
			for _, l := range r.fake.launches {
				if slices.Contains(l.Spec.Env, "CONTROL_FREAK_SERVICE=db") {
					n++
				}
			}
			return n >= i+1
		})
		r.fake.exit(t, r.launchesOf("db")[i].Pid, exitCode(1))
	}
	r.expectSeq("db", starting, backoff, starting, fatal)
	rep := r.reply("restart db", ch)
	want := []string{"done 1",
		"app: Service 'app' was not restarted: requires 'db': Service 'db' did not come back up: fatal (Exited with error 1)",
		"web: Service 'web' was not restarted: requires 'app': Service 'app' was not restarted: requires 'db': Service 'db' did not come back up: fatal (Exited with error 1)"}
	if rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("restart db\n got %v %q\nwant %q", rep.Err, rep.Lines, want)
	}
	r.expectQuiet("app", window)
	if sigs := r.fake.signalsTo(appPid); len(sigs) != 0 || !r.fake.alive(appPid) {
		t.Fatalf("app's process got %v (alive %v), want it left running", sigs, r.fake.alive(appPid))
	}
}
