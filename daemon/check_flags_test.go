package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// TestCheckUpgradeRefusesALogDestinationNowGone: a log configuration
// loaded with `service.a = file:DIR/a.log`, then DIR removed (a log
// directory moved away, cleaned up). The check answered the upgrade OK;
// the new cfkd, applying the configuration in force, could not open it and
// exited after the exec (`cfkd: log config: log destination ...`), its
// services left unsupervised. REFERENCE §13.3: what the new cfkd would
// refuse refuses the upgrade at the check, before the exec.
func TestCheckUpgradeRefusesALogDestinationNowGone(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(dir, "logs")
	check := func(logText string) (int, string) {
		statePath := filepath.Join(dir, "upgrade.state")
		st := &upgrade.State{
			CfkdVersion: "v1", Pid: 42, Home: home, LogConfig: filepath.Join(home, "log.config"),
			LogConfigText: logText, Lock: 3,
			Admin: &upgrade.Listener{Fd: 4, Network: "unix", Addr: filepath.Join(home, "sock")},
		}
		if err := upgrade.Write(statePath, st); err != nil {
			t.Fatal(err)
		}
		t.Setenv(upgrade.ArgsEnv, upgrade.EncodeArgs([]string{"--home", home}))
		var out, errb bytes.Buffer
		code := CheckUpgrade([]string{statePath}, &out, &errb)
		return code, out.String() + errb.String()
	}
	text := "cfkd = file:cfkd.log\nservice.a = file:" + filepath.Join(logs, "a.log") + "\n"

	if code, said := check(text); code != upgrade.CheckExit ||
		!strings.Contains(said, "log destination file:"+filepath.Join(logs, "a.log")) {
		t.Fatalf("check with the log directory gone: exit %d, said %q; want %d and the destination", code, said, upgrade.CheckExit)
	}
	if err := os.Mkdir(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	if code, said := check(text); code != 0 || !strings.HasPrefix(said, "cfkd-upgrade-ok ") {
		t.Fatalf("check with the log directory there: exit %d, said %q", code, said)
	}
}

// TestCheckUpgradeRefusesAHomeNowUnsafe: cfkd started on --home DIR/home;
// DIR is made writable by others afterwards (chmod 777 on a shared
// parent). The check answered the upgrade OK; the new cfkd checked the
// home's path as every start does (REFERENCE §7.2), refused it and exited
// after the exec, its services unsupervised. The check refuses it now.
func TestCheckUpgradeRefusesAHomeNowUnsafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p")
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(home, "upgrade.state")
	st := &upgrade.State{
		CfkdVersion: "v1", Pid: 42, Home: home, LogConfig: filepath.Join(home, "log.config"), Lock: 3,
		Admin: &upgrade.Listener{Fd: 4, Network: "unix", Addr: filepath.Join(home, "sock")},
	}
	if err := upgrade.Write(statePath, st); err != nil {
		t.Fatal(err)
	}
	t.Setenv(upgrade.ArgsEnv, upgrade.EncodeArgs([]string{"--home", home}))
	check := func() (int, string) {
		var out, errb bytes.Buffer
		code := CheckUpgrade([]string{statePath}, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, said := check(); code != 0 {
		t.Fatalf("check of a safe home: exit %d, said %q", code, said)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if code, said := check(); code != upgrade.CheckExit || !strings.Contains(said, "is writable by others") {
		t.Fatalf("check with the home's parent made 0777: exit %d, said %q; want %d and why", code, said, upgrade.CheckExit)
	}
}
