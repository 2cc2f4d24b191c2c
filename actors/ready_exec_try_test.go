package actors

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// REFERENCE §2.9: a hard limit of open files that cfkd may no longer
// raise for the service's user, its own lowered by prlimit(1) since the
// launch, leaves each try of the ready=exec: probe cfkd's limits (its
// umask still the service's), rather than fail it. The shim of the
// probe of a run cfkd launched was made once, at the launch: each try
// after the lowering ran `ulimit -H -n` which its user may not, exit
// 126, until ready_timeout_secs stopped the service (seen with the
// built cfkd, prlimit --nofile=350:350 on it, user=nobody,
// limit_nofile=300:400). Not parallel: it lowers the limits nofileFor
// reads (getNofile) for every service of the package.
func TestExecProbeLimitLoweredSinceTheLaunch(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 200 || lim.Max > 1073741816 {
		t.Skip("a hard limit of open files out of limit_nofile's range: ", lim.Max, err)
	}
	var lowered atomic.Bool
	was := getNofile
	getNofile = func(l *syscall.Rlimit) error {
		err := was(l)
		if lowered.Load() {
			l.Max--
			l.Cur = min(l.Cur, l.Max)
		}
		return err
	}
	t.Cleanup(func() { getNofile = was })
	other := &syscall.Credential{Uid: uint32(os.Geteuid() + 1), Gid: uint32(os.Getegid() + 1)}
	r := newRig(t, func(o *Options) {
		o.Credential = func(user, group string) (*syscall.Credential, error) { return other, nil }
		o.UserEnv = func(string) (home, name, shell string, ok bool) { return "", "", "", false }
	})
	r.ok("service a cmd=sleep 100", "service a user=alice", "service a umask=027",
		fmt.Sprintf("service a limit_nofile=100:%d", lim.Max), "service a ready=exec:true")
	r.okDone("command start service a", 1)
	r.fake.waitLaunch(t, 1)
	first := r.fake.waitLaunch(t, 2)
	if len(first.Spec.Argv) < 3 || !strings.Contains(first.Spec.Argv[2], "ulimit -H -n") {
		t.Fatalf("the first try %q, want the service's limit_nofile", first.Spec.Argv)
	}
	lowered.Store(true) // prlimit(1) on cfkd
	r.fake.exit(t, first.Pid, exitCode(1))
	next := r.fake.waitLaunch(t, 3)
	if len(next.Spec.Argv) < 3 || strings.Contains(next.Spec.Argv[2], "ulimit") || !strings.Contains(next.Spec.Argv[2], "umask 0027") {
		t.Errorf("a try after cfkd's hard limit was lowered under the service's: %q, want its umask alone", next.Spec.Argv)
	}
}

// REFERENCE §2.9: the probe's /bin/sh (dash) fails at its start with an
// OPTIND that is no number (`Illegal number: abc`, exit 2), at every
// try: a service given add_env=OPTIND=abc never became ready without a
// umask, where with one (its shim leaves such an OPTIND out) it did; and
// under a proxy neither did. The try now leaves it out, shim or none.
// The probes' specs are run for real through /bin/sh.
func TestExecProbeLeavesOutAnOPTINDItsShellRefuses(t *testing.T) {
	t.Parallel()
	for _, umask := range []string{"", "027"} {
		t.Run("umask="+umask, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, func(o *Options) { o.Env = []string{"PATH=/usr/bin:/bin"} })
			r.ok("service a cmd=sleep 100", "service a add_env=OPTIND=abc", "service a ready=exec:echo ${OPTIND:-none}")
			if umask != "" {
				r.ok("service a umask=" + umask)
			}
			r.okDone("command start service a", 1)
			if env := r.fake.waitLaunch(t, 1).Spec.Env; umask == "" && !slices.Contains(env, "OPTIND=abc") {
				t.Errorf("the command's environment %q, want OPTIND=abc as declared", env)
			}
			out, err := runSpec(t, r.fake.waitLaunch(t, 2).Spec)
			if err != nil || strings.TrimSpace(out) != "1" {
				t.Errorf("the probe: %q, %v; want 1 (its shell's)", out, err)
			}
		})
	}
	spec := osproc.Spec{Env: []string{"PATH=/usr/bin:/bin", "OPTIND=abc"}}
	out, err := runSpec(t, probeShim(&messages.ServiceConfig{Name: "s", Proxy: "p"}, spec, "echo ${OPTIND:-none}"))
	if err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("under a proxy, the probe: %q, %v; want 1 (its shell's)", out, err)
	}
	if !slices.Equal(spec.Env, []string{"PATH=/usr/bin:/bin", "OPTIND=abc"}) {
		t.Errorf("probeShim changed the environment it was given: %q", spec.Env)
	}
}
