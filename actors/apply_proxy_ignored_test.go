package actors

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// A service under a proxy runs with the proxy's identity, umask, limit of
// open files and working directory (its start line carries none of them,
// REFERENCE §1.1, §4.2): an apply that changes only those, the service
// staying under the same proxy, declares them in place, `(in place)` in
// its plan, dry run or not, and restarts nothing (it stopped and started
// the service again, for a process the same as before). A change the
// proxy takes (add_env) still restarts it.
func TestApplyOfWhatAProxyIgnoresRestartsNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 4242)
	base := "proxy p cmd=cfk-proxy --preload x\nproxy p service s cmd=sleep 100\nproxy p service s startwait_secs=0.02\n"
	r.applyOK("", base, "no changes")
	file := base + "service s cwd=/tmp\nservice s user=nobody\nservice s umask=0027\nservice s limit_nofile=1024\n"
	const inPlace = "~ s: cwd, user, umask, limit_nofile (in place)"
	r.applyOK("dry-run", file, inPlace)
	r.applyOK("", file, inPlace)
	r.expectQuiet("s", 50*time.Millisecond)
	p.noCommand(50 * time.Millisecond)
	if i := r.info("service s"); i[0].RunningFormer || i[0].State != running || i[0].Pid != 4242 {
		t.Fatalf("inspect of s after the apply: %+v", i[0])
	}
	r.applyOK("", file, "no changes") // the file's declaration is cfkd's
	// one the proxy takes: restarted
	applied := r.async(applyReq("", file+"service s add_env=A=1\n"))
	r.expectSeq("s", stopping)
	if got := p.command(); got != `{"command":"stop","name":"s"}` {
		t.Fatalf("command %q, want the stop of s", got)
	}
	p.stopped("s", 4242, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopped, starting)
	r.startProxied(p, "s", 4343)
	if rep := r.reply("the apply", applied); !slices.Equal(rep.Lines, []string{"~ s: add_env"}) {
		t.Fatalf("apply: %q", rep.Lines)
	}
}
