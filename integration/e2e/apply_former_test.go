package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestApplyConvergesARefusedRestart: an apply whose restart of a
// service was refused (its new program missing) made the declarations,
// and the same apply again said `no changes`, exit 0, while the service
// ran its former process. Every apply now shows the service's run of a
// former declaration and tries the restart again: refused, exit 1, until
// the program appears; then it restarts it, and only then finds no
// changes (REFERENCE §1.4, §8.2).
func TestApplyConvergesARefusedRestart(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog")
	first := writeConf(t, filepath.Join(dir, "first.conf"), "service s cmd=sleep 100\nservice s startwait_secs=0.2\ncommand start service s\n")
	second := writeConf(t, filepath.Join(dir, "second.conf"), "service s cmd="+prog+" 100\nservice s startwait_secs=0.2\n")
	d := startDaemon(t, "", "-c", first)
	c := d.dial()
	var pid string
	c.until("s running", func() bool { st := c.status("s"); pid = st[2]; return st[1] == "running" })

	apply := func(code int, stdout, stderrPrefix string) {
		t.Helper()
		out, errs, got := d.ctl("", "apply", second)
		if got != code || out != stdout || !strings.HasPrefix(errs, stderrPrefix) || (stderrPrefix == "") != (errs == "") {
			t.Fatalf("cfkctl apply:\n exit %d, want %d\n stdout %q\n   want %q\n stderr %q\n   want %q...", got, code, out, stdout, errs, stderrPrefix)
		}
	}
	refused := "s: Service 's' cannot start: "
	apply(1, "~ s: cmd\n", refused)
	apply(1, "~ s: (running a former declaration)\n", refused)
	d.expectApply(0, "~ s: (running a former declaration)\n", "", "--dry-run", second)
	if st := c.status("s"); st[1] != "running" || st[2] != pid || st[7] != "sleep 100" {
		t.Fatalf("s after refused restarts: %q, want running pid %s, sleep 100", st, pid)
	}
	if got := d.ctlOK("", "--json", "status", "s"); !strings.Contains(got, `"running_former":true`) {
		t.Fatalf("status --json of s running a former declaration: %s", got)
	}

	if err := writeExecutable(prog, []byte("#!/bin/sh\nexec sleep \"$@\"\n")); err != nil {
		t.Fatal(err)
	}
	apply(0, "~ s: (running a former declaration)\n", "")
	st := c.status("s")
	if (st[1] != "starting" && st[1] != "running") || st[2] == pid || st[7] != prog+" 100" {
		t.Fatalf("s not restarted with its declaration: %q (was pid %s)", st, pid)
	}
	d.expectApply(0, "no changes\n", "", second)
	if got := d.ctlOK("", "--json", "status", "s"); !strings.Contains(got, `"running_former":false`) {
		t.Fatalf("status --json of s restarted: %s", got)
	}
}
