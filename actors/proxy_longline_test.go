package actors

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// A start line longer than a proxy reads (an env_file of 1 MiB, and add_env) was
// sent: the proxy dropped it unanswered, the start failed with "proxy did
// not report the pid", and that start, still awaiting its pid, took the
// `started` of every later start of the service, whose process was killed
// as a stray's until the proxy ended. The start now fails at once with
// why, nothing is sent, and the next start, with a smaller environment,
// runs (REFERENCE §4.2).
func TestProxiedStartLineTooLongRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	envFile := filepath.Join(t.TempDir(), "env")
	// within the bound of an env_file (1 MiB), the line over it with
	// add_env; each variable within the kernel's bound (REFERENCE §2.4)
	var big strings.Builder
	for i := range 9 {
		fmt.Fprintf(&big, "BIG%d=%s\n", i, strings.Repeat("x", 116400))
	}
	if big.Len() > proxywire.MaxCommandLine {
		t.Fatalf("env_file of %d bytes", big.Len())
	}
	if err := os.WriteFile(envFile, []byte(big.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service s env_file="+envFile, "service s respawn_on_fail=0", "service s add_env=MORE="+strings.Repeat("y", 2000))
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	tr := r.expectSeq("s", starting, fail)
	if want := "more than the 1048576 a proxy reads"; !strings.Contains(tr[1].Reason, want) {
		t.Fatalf("fail reason %q, want it to say %q", tr[1].Reason, want)
	}
	select {
	case l := <-p.cmds:
		t.Fatalf("a start line of %d bytes was sent", len(l))
	case <-time.After(window):
	}
	if err := os.WriteFile(envFile, []byte("SMALL=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	if l := p.command(); !strings.Contains(l, `"SMALL":"1"`) {
		t.Fatalf("start line %q", l)
	}
	p.started("s", 302)
	r.expectSeq("s", running)
}
