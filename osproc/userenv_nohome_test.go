package osproc

import (
	"os/user"
	"testing"
)

// TestUserEnvEntryWithoutHome: a passwd entry whose home field is empty
// still names the user: USER and LOGNAME are its name and HOME is "/", as
// login(1) takes it, where the service kept cfkd's HOME=/root, USER=root
// and LOGNAME=root (REFERENCE §2.4).
func TestUserEnvEntryWithoutHome(t *testing.T) {
	old := userLookup
	t.Cleanup(func() { userLookup = old })
	userLookup = func(s string) (*user.User, error) {
		return &user.User{Uid: "54321", Gid: "54321", Username: s, HomeDir: ""}, nil
	}
	home, name, _, ok := UserEnv("svc-nohome")
	if !ok || home != "/" || name != "svc-nohome" {
		t.Errorf("UserEnv(entry without a home) = %q, %q, %v; want \"/\", svc-nohome, true", home, name, ok)
	}
}
