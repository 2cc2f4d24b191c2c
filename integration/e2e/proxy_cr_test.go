package e2e

import (
	"slices"
	"testing"
)

// A line of a service under a proxy keeps what a direct service's keeps
// (REFERENCE §2.4, §4.4): its "\n" or "\r\n" is taken off, not a "\r"
// before them. cfkd took every "\r" off the end of a proxy's log line, so
// `printf 'OK\r\r\n'` was `OK` under cfk-proxy or the Python proxy, and
// `OK\r` run directly (`OK ` in `command tail`, §1.5).
func TestProxiedLineKeepsItsCarriageReturn(t *testing.T) {
	t.Parallel()
	t.Run("cfk-proxy", func(t *testing.T) { proxiedLineKeepsItsCarriageReturn(t, needProxy(t)) })
	t.Run("python", func(t *testing.T) { proxiedLineKeepsItsCarriageReturn(t, needPythonProxy(t)) })
}

func proxiedLineKeepsItsCarriageReturn(t *testing.T, proxyCmd string) {
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	const cmd = `cmd=printf 'OK\r\r\nCRLF\r\nLF\n'; echo end; exec sleep 1000`
	c.ok("proxy p cmd="+proxyCmd, "proxy p service s "+cmd, "service d "+cmd)
	c.ok("command start service s", "command start service d")
	tail := func(name string) []string {
		var got []string
		c.until(name+"'s 4 lines", func() bool {
			got = c.ok("command tail " + name)
			return len(got) >= 4
		})
		return got
	}
	direct := tail("d")
	if want := []string{"OK ", "CRLF", "LF", "end"}; !slices.Equal(direct, want) {
		t.Fatalf("the direct service's lines: %q, want %q", direct, want)
	}
	if got := tail("s"); !slices.Equal(got, direct) {
		t.Errorf("the proxied service's lines: %q, want the direct one's %q", got, direct)
	}
}
