package daemon

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A -c file with a misspelt attribute, or supervisord's or systemd's name
// for one, is refused with the console's text, `invalid property 'cwdd'`,
// and the attribute meant on the same line (REFERENCE §7.4), as cfkctl
// load and apply name it (§8.3): the error alone left the user to find
// the spelling in the reference. An attribute nothing is close to gets
// the text alone.
func TestConfigMisspeltAttributeIsNamed(t *testing.T) {
	for _, tc := range []struct{ attr, hint string }{
		{"cwdd", " (did you mean 'cwd'?)"},
		{"start_wait_secs", " (did you mean 'startwait_secs'?)"},
		{"directory", " (did you mean 'cwd'?)"},
		{"ExecStart", " (did you mean 'cmd'?)"},
		{"hosts", " (did you mean 'host'?)"},
		{"foo", ""},
	} {
		if got := attributeHint("line 2: invalid property '" + tc.attr + "'"); got != tc.hint {
			t.Errorf("%s: %q, want %q", tc.attr, got, tc.hint)
		}
	}
	// cfkd's own start-up error, end to end
	for _, tc := range []struct{ line, want string }{
		{"service a cwdd=/tmp", "cfkd: %s:2: invalid property 'cwdd' (did you mean 'cwd'?)"},
		{"service a foo=1", "cfkd: %s:2: invalid property 'foo'"},
	} {
		dir := t.TempDir()
		conf := filepath.Join(dir, "cfkd.conf")
		if err := os.WriteFile(conf, []byte("service a cmd=sleep 100\n"+tc.line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- Run([]string{"--home", filepath.Join(dir, "home"), "-a", "unix:" + filepath.Join(dir, "sock"), "-c", conf}, io.Discard, io.Discard)
		}()
		select {
		case err := <-done:
			if want := fmt.Sprintf(tc.want, conf); err == nil || err.Error() != want {
				t.Errorf("Run: %v, want %q", err, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("cfkd neither refused its config nor stopped")
		}
	}
}
