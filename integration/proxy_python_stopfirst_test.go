package integration

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cfk/cfk/proxywire"
)

// REFERENCE §4.6: the Python preload proxy handled the lines of one read
// (64 KiB) in order, each start a fork: a stop line read behind the
// starts of other services waited for them, while cfkd counted its
// stopwait from writing it, and SIGKILLed services the proxy had not sent
// their SIGTERM yet (a `stop @px` 2 s after a `start @px` of 2,000
// services failed 87 to 323 of them `Received signal 9`). It now takes a
// stop line first when no earlier line of its service is in the read, as
// cfk-proxy does; the lines of one service, and the starts, keep their
// order.
func TestPythonProxyStopGoesBeforeOtherStartsOfTheSameRead(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkstopfirst.py"), `import time
def hold():
    time.sleep(100)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkstopfirst"))
	p.start(proxywire.Command{Name: "a", Cmd: "cfkstopfirst:hold"})
	p.waitStatus("a", proxywire.StatusStarted)
	// one write, under PIPE_BUF: one read of the idle proxy
	var lines []string
	const n = 10
	for i := range n {
		l, err := proxywire.EncodeCommand(proxywire.Command{Command: proxywire.CommandStart, Name: fmt.Sprint("b", i), Cmd: "cfkstopfirst:hold"})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSuffix(string(l), "\n"))
	}
	lines = append(lines, `{"command":"stop","name":"b3"}`, `{"command":"stop","name":"a"}`)
	p.send(strings.Join(lines, "\n"))
	p.waitLog(fmt.Sprintf("out:-:starting b%d", n-1))
	p.waitLog("out:-:stopping b3")
	p.waitLog("out:-:stopping a")
	p.mu.Lock()
	logs := slices.Clone(p.logs)
	p.mu.Unlock()
	at := func(l string) int {
		i := slices.Index(logs, l)
		if i < 0 {
			t.Fatalf("no log line %q in %q", l, logs)
		}
		return i
	}
	if at("out:-:stopping a") > at("out:-:starting b0") {
		t.Errorf("a stopped after the start of b0: %q", logs)
	}
	if s := at("out:-:stopping b3"); s < at("out:-:starting b3") || s > at("out:-:starting b4") {
		t.Errorf("b3 not stopped right after its start: %q", logs)
	}
	for i := 1; i < n; i++ {
		if at(fmt.Sprint("out:-:starting b", i-1)) > at(fmt.Sprint("out:-:starting b", i)) {
			t.Errorf("starts out of order: %q", logs)
		}
	}
}
