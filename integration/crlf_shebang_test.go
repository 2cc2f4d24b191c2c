package integration

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/actors"
	. "github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// matching is the messages of the warnings hook kept that hold s.
func matching(hook *logtest.Hook, s string) []string {
	var out []string
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, s) {
			out = append(out, e.Message)
		}
	}
	return out
}

// REFERENCE §2.1: a script saved with CRLF line ends whose interpreter is
// there, '#!/bin/sh -e\r', runs /bin/sh with the argument '-e\r', which
// dash refuses ('Illegal option -', exit 2): the service exited at each
// start, nothing naming the cause. Its start is not refused (an
// interpreter may take the argument), but each start warns, before the
// service is starting; a script saved with LF ends does not.
func TestScriptSavedWithCRLFWarnsAtEachStart(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	h := newHarness(t, func(o *actors.Options) { o.Log = log })
	dir := t.TempDir()
	crlf := filepath.Join(dir, "crlf.sh")
	lf := filepath.Join(dir, "lf.sh")
	if err := os.WriteFile(crlf, []byte("#!/bin/sh -e\r\nexit 0\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lf, []byte("#!/bin/sh -e\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.ok("service crlf cmd="+crlf, "service crlf respawn_on_fail=0",
		"service lf cmd="+lf, "service lf respawn_on_fail=0")
	for i := 1; i <= 2; i++ {
		h.ok("command start service crlf", "command start service lf")
		h.expect("crlf", Starting)
		h.expect("lf", Starting)
		want := `crlf: its script's "#!" line, "#!/bin/sh -e\r", ends with a carriage return, which the kernel passes to its interpreter: the file was saved with CRLF line ends; save it with LF ones, as dos2unix does`
		if got := matching(hook, "carriage return"); len(got) != i || got[i-1] != want {
			t.Fatalf("start %d: warned %q, want %d of %q", i, got, i, want)
		}
		h.expect("crlf", Fail) // dash: 'Illegal option -', exit 2
		h.expect("lf", Stopped)
	}
}
