package osproc

import (
	"os"
	"path/filepath"
	"testing"
)

// REFERENCE §2.1: a `cwd` that does not exist is a start that failed,
// `Service 'NAME' failed to start: REASON`. REASON must say what is wrong:
// the directory, not the program. It said `exec sleep: no such file or
// directory`, sending the user after a `sleep` that is there, as systemd's
// "Changing to the requested working directory failed" or supervisord's
// "couldn't chdir to DIR" do not.
func TestMissingCwdErrorNamesTheDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gone")
	for _, argv := range [][]string{{"sleep", "5"}, {"/bin/sleep", "5"}} {
		c, err := tryStart(t, Spec{Argv: argv, Env: os.Environ(), Dir: dir})
		if err == nil {
			t.Fatalf("%q in %s: started as pid %d", argv, dir, c.Pid)
		}
		if want := "cwd " + dir + ": no such file or directory"; err.Error() != want {
			t.Errorf("%q in a missing cwd: error %q does not name the directory %s", argv, err, dir)
		}
	}
}
