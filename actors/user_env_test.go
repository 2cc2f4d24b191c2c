package actors

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A service with user= ran with cfkd's HOME (/root), an empty USER and
// LOGNAME: git, pip or npm then read and wrote root's home, or failed on
// it. As under systemd's User=, the service gets its user's HOME, USER
// and LOGNAME; env_file and add_env still win (REFERENCE §2.4), and a
// service whose identity is not switched keeps cfkd's.
func TestUserServiceGetsItsUsersHome(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) {
		o.Env = append(o.Env, "HOME=/root", "USER=root", "LOGNAME=root")
		o.Credential = func(user, group string) (*syscall.Credential, error) {
			if user == "" {
				return nil, nil
			}
			return &syscall.Credential{Uid: 1001, Gid: 1001}, nil
		}
		o.UserEnv = func(user string) (string, string, bool) { return "/home/" + user, user, user == "alice" }
	})
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
