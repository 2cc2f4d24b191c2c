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
