package actors

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
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
