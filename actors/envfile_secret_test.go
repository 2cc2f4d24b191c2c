package actors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A malformed line of an env_file was quoted in the start's error
// (`line 2: unbalanced quote in "DB_PASSWORD=\"hunter2"`), which is the
// service's last_error: an env_file only root reads (REFERENCE §2.4, as
// systemd's EnvironmentFile=) gave a secret with a typo in it to every
// read peer of the console (inspect) and every local user of the status
// page. The error names the line and the key, never its text.
func TestEnvFileErrorDoesNotQuoteTheFile(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	dir := t.TempDir()
	for name, text := range map[string]string{
		"quote": "A=1\nDB_PASSWORD=\"hunter2-secret\n",
		"pair":  "A=1\nhunter2-secret\n",
		"key":   "A=1\nDB PASSWORD=hunter2-secret\n",
	} {
		f := filepath.Join(dir, name+".env")
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		r.ok("service "+name+" cmd=sleep 100", "service "+name+" env_file="+f)
		rep := r.exec("command start service " + name)
		if rep.Err == nil || !strings.Contains(rep.Err.Error(), "line 2: ") || strings.Contains(rep.Err.Error(), "hunter2") {
			t.Errorf("%s: start answered %v, want the error of line 2 without its text", name, rep.Err)
		}
		// the controller's record of it may come a little after the answer
		le, end := "", time.Now().Add(deadline)
		for le == "" && time.Now().Before(end) {
			if le = r.info("service " + name)[0].LastError; le == "" {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if le == "" || strings.Contains(le, "hunter2") {
			t.Errorf("%s: inspect's last_error %q, want the error without the line", name, le)
		}
	}
	if rep := r.exec("command start service quote"); rep.Err == nil || !strings.Contains(rep.Err.Error(), "unbalanced quote in the value of DB_PASSWORD") {
		t.Errorf("quote: %v, want the key named", rep.Err)
	}
	r.shutdownClean()
}
