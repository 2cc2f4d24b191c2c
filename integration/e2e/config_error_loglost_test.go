package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigErrorSaysTheRecordsAStalledDestinationLost: a cfkd that
// stops because a line of -c FILE failed shuts its services down as a
// shutdown does, and says in its own log, before `cfkd stops` and `cfkd
// exiting`, what a destination that stalled loses (REFERENCE §6.2,
// §7.4): only a shutdown said it, and this exit left it to the close of
// the log files, on stderr alone (/dev/null under -d).
func TestConfigErrorSaysTheRecordsAStalledDestinationLost(t *testing.T) {
	t.Parallel()
	home, fifo := stalledFifoHome(t)
	// f floods while the start of w waits for db, running once it has
	// lived 1 s (a start is answered at its launch, one that requires
	// another once that one runs, REFERENCE §2.8): then the line that
	// fails
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	text := "service f cmd=yes flood-line\ncommand start service f\n" +
		"service db cmd=sleep 1000\nservice db startwait_secs=1\n" +
		"service w cmd=sleep 1000\nservice w requires=db\ncommand start service w\n" +
		"command start service f\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := cfkdOutput(t, home, nil, "-c", conf)
	if err == nil || !strings.Contains(string(out), conf+":8:") {
		t.Fatalf("cfkd with a config whose line 8 fails: exit %v, output:\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(readLog(home), "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, exitingRecord) {
		t.Errorf("the log's last record is %q, want one ending %q", last, exitingRecord)
	}
	want := "shutdown: a log destination did not take its records within 1s: "
	at, stops := -1, -1
	for i, l := range lines {
		if strings.Contains(l, want) && strings.Contains(l, "destination=file:"+fifo) {
			at = i
		}
		if strings.Contains(l, "cfkd stops: ") {
			stops = i
		}
	}
	if at < 0 || stops < at {
		t.Errorf("the loss is not said in cfkd's log before `cfkd stops` (want %q); its end:\n%s", want, strings.Join(lines[max(0, len(lines)-8):], "\n"))
	}
}
