package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The members of a group with read (or operate) cannot lock root out of
// the UNIX console by holding every connection's place, which no idle
// timeout frees there: the last places are kept for admin peers
// (REFERENCE §5.4). Before, nobody in --admin-group GID:read with as many
// `cfkctl events` as --max-connections left root `too many connections`.
func TestGroupMembersCannotLockRootOut(t *testing.T) {
	needRoot(t)
	const max = 8 // 2 kept for admin peers
	top := sharedDir(t)
	home := filepath.Join(top, "home")
	d := startDaemon(t, home, "--admin-group", strconv.Itoa(adminGID)+":read", "--max-connections", strconv.Itoa(max))
	addr := "unix:" + d.sock
	if err := os.Chmod(filepath.Dir(cfkctlBin), 0o755); err != nil {
		t.Fatal(err)
	}
	for range max {
		// a stream holds its connection until it is killed
		cmd := exec.Command(cfkctlBin, "-a", addr, "events")
		cmd.Env = childEnv("HOME=/nonexistent")
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
			Uid: nobodyUID, Gid: nobodyUID, Groups: []uint32{adminGID}}}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-done })
	}
	// once the members hold every place they may take, a member's next
	// connection is refused
	for end := time.Now().Add(deadline); ; {
		_, errs, code := nobodyCtl(t, "", []uint32{adminGID}, nil, "-a", addr, "status")
		if code != 0 && strings.Contains(errs, "too many connections") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the members' connections never filled the places: %d %q", code, errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := d.dial() // root
	if r, err := c.try("command version"); err != nil || r.Err != nil {
		t.Fatalf("root, with the members holding their places: %+v, %v", r, err)
	}
	if log, _ := os.ReadFile(filepath.Join(home, "cfkd.log")); !strings.Contains(string(log), "connection refused: too many connections (6 open: the other 2 places are kept for admin peers)") {
		t.Errorf("the member's refusal is not logged as one past the members' places:\n%s", log)
	}
}
