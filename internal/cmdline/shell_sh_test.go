package cmdline

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExecsAsShSays: a script Execs says execs its program keeps the
// shell's pid for it, as /bin/sh runs it under cfkd's LISTEN_PID shim; one
// it says does not, run by dash (Debian's /bin/sh), does not (another
// shell may exec a last simple command by itself: not checked then).
func TestExecsAsShSays(t *testing.T) {
	prog := filepath.Join(t.TempDir(), "prog")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\necho \"$LISTEN_PID $$\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dash := false
	if target, err := filepath.EvalSymlinks("/bin/sh"); err == nil {
		dash = filepath.Base(target) == "dash"
	}
	for _, script := range []string{
		"exec P", "cd / && exec P", "cd /; exec P", "exec 2>&1; exec P", "if true; then exec P; fi",
		"exec 2>/dev/null 3<&0 P", "exec 2>&1 P", "FOO=1 exec P", "cd / && FOO=1 BAR=2 exec P",
		"P", "cd / && P", "exec 2>&1; P", "P; true", "echo exec P >/dev/null; P", "FOO=1 P; true",
	} {
		argv := []string{"/bin/sh", "-c", strings.ReplaceAll(script, "P", prog)}
		sh, s, ok := ShellScript(argv)
		if !ok || sh != "/bin/sh" {
			t.Fatalf("ShellScript(%q) = %q, %v", argv, sh, ok)
		}
		execs := Execs(s)
		cmd := exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`}, argv...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", script, err)
		}
		f := strings.Fields(string(out))
		if len(f) != 2 {
			t.Fatalf("%q: output %q", script, out)
		}
		same := f[0] == f[1]
		if execs && !same || !execs && dash && same {
			t.Errorf("Execs(%q) = %v, but LISTEN_PID %s, the program's pid %s", script, execs, f[0], f[1])
		}
	}
}
