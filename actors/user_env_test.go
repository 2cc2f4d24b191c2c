package actors

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// A service with user= ran with cfkd's HOME (/root), an empty USER and
// LOGNAME: git, pip or npm then read and wrote root's home, or failed on
// it. As under systemd's User=, the service gets its user's HOME, USER
// and LOGNAME; env_file and add_env still win (REFERENCE §2.4), and a
// service whose identity is not switched keeps cfkd's.
func TestUserServiceGetsItsUsersHome(t *testing.T) {
	t.Parallel()
	r := newRig(t, withUsers("alice"))
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("LOGNAME=fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.ok("service a cmd=sleep 100", "service a user=alice", "service a env_file="+envFile, "service a add_env=USER=added",
		"service b cmd=sleep 100", "service b group=staff",
		"service c cmd=sleep 100", "service c user=4242")
	for i, name := range []string{"a", "b", "c"} {
		r.okDone("command start service "+name, 1)
		env := r.fake.waitLaunch(t, i+1).Spec.Env
		want := map[string]string{
			"a": "HOME=/home/alice USER=added LOGNAME=fromfile",
			"b": "HOME=/root USER=root LOGNAME=root", // no user: cfkd's
			"c": "HOME=/root USER=root LOGNAME=root", // no passwd entry: left as they are
		}[name]
		if got := lastOf(env, "HOME") + " " + lastOf(env, "USER") + " " + lastOf(env, "LOGNAME"); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

// lastOf is KEY=VALUE as the child sees it: the last KEY of env.
func lastOf(env []string, key string) string {
	got := key + "="
	for _, kv := range env {
		if len(kv) > len(key) && kv[:len(key)+1] == key+"=" {
			got = kv
		}
	}
	return got
}

// A ready=exec: probe runs with the service's environment, user and
// group (REFERENCE §2.9): its user's HOME, USER and LOGNAME and its
// env_file too (it had cfkd's, and no env_file), with the identity the
// run was launched with.
func TestExecProbeGetsTheRunsEnvironment(t *testing.T) {
	t.Parallel()
	r := newRig(t, withUsers("alice"))
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("FROM_FILE=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.ok("service a cmd=sleep 100", "service a user=alice", "service a env_file="+envFile, "service a ready=exec:test -f $HOME/ok")
	r.okDone("command start service a", 1)
	svc := r.fake.waitLaunch(t, 1).Spec
	probe := r.fake.waitLaunch(t, 2).Spec
	for _, key := range []string{"HOME", "USER", "LOGNAME", "FROM_FILE"} {
		if got, want := lastOf(probe.Env, key), lastOf(svc.Env, key); got != want {
			t.Errorf("probe %s, the service's %s", got, want)
		}
	}
	if probe.Credential == nil || probe.Credential.Uid != 1001 {
		t.Errorf("probe credential %+v, want uid 1001", probe.Credential)
	}
}

// Without the run's kept environment (a run adopted by an upgrade in
// place), the probe makes it afresh as the launch does: the user's HOME,
// USER and LOGNAME, the env_file (it had cfkd's, and no env_file).
func TestExecProbeAfterAnUpgradeMakesItsEnvironment(t *testing.T) {
	t.Parallel()
	opts := withUsers("alice")
	old := newRig(t, opts)
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("FROM_FILE=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old.ok("service a cmd=sleep 100", "service a user=alice", "service a env_file="+envFile, "service a ready=exec:test -f $HOME/ok")
	old.okDone("command start service a", 1)
	svc := old.fake.waitLaunch(t, 1).Spec
	old.fake.waitLaunch(t, 2) // the probe, which does not pass
	ex := old.export(true)

	nw := newRig(t, opts, func(o *Options) {
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
	})
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	probe := nw.fake.waitLaunch(t, 1).Spec // the new cfkd's probe of the adopted run
	for _, key := range []string{"HOME", "USER", "LOGNAME", "FROM_FILE"} {
		if got, want := lastOf(probe.Env, key), lastOf(svc.Env, key); got != want {
			t.Errorf("probe %s, the service's %s", got, want)
		}
	}
}

// withUsers is a cfkd running as root (HOME=/root) whose name service
// knows the users named: any user switches to uid 1001, and those named
// have a passwd entry, /home/NAME.
func withUsers(known ...string) func(*Options) {
	return func(o *Options) {
		o.Env = append(o.Env, "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash")
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "" {
				return nil, nil
			}
			return &syscall.Credential{Uid: 1001, Gid: 1001}, nil
		}
		o.UserEnv = func(user string) (string, string, string, bool) {
			return "/home/" + user, user, "/bin/zsh", slices.Contains(known, user)
		}
	}
}

// A service with user= kept cfkd's SHELL (root's) while it got its user's
// HOME, USER and LOGNAME: a script that runs $SHELL ran root's. It gets
// its user's login shell, as under systemd's User= and su(1); add_env
// and env_file still win, and a service that keeps cfkd's identity keeps
// cfkd's SHELL (REFERENCE §2.4).
func TestUserServiceGetsItsUsersShell(t *testing.T) {
	t.Parallel()
	r := newRig(t, withUsers("alice"))
	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("SHELL=/bin/fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.ok("service a cmd=sleep 100", "service a user=alice",
		"service b cmd=sleep 100", "service b user=alice", "service b add_env=SHELL=/bin/added",
		"service c cmd=sleep 100", "service c user=alice", "service c env_file="+envFile,
		"service d cmd=sleep 100", "service d group=staff",
		"service e cmd=sleep 100", "service e user=4242")
	want := map[string]string{
		"a": "SHELL=/bin/zsh", "b": "SHELL=/bin/added", "c": "SHELL=/bin/fromfile",
		"d": "SHELL=/bin/bash", // no user: cfkd's
		"e": "SHELL=/bin/bash", // no passwd entry: left as it is
	}
	for i, name := range []string{"a", "b", "c", "d", "e"} {
		r.okDone("command start service "+name, 1)
		if got := lastOf(r.fake.waitLaunch(t, i+1).Spec.Env, "SHELL"); got != want[name] {
			t.Errorf("%s: %s, want %s", name, got, want[name])
		}
	}
}
