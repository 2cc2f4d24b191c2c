package actors

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The count of the bad status and log lines of a proxy's last second of
// them is logged once the proxy stops writing them: it went only with the
// next record of such a line, and when none came (the proxy stopped
// writing garbage) it was never logged, so that a burst of 40 bad lines
// left one record, as if there had been one (REFERENCE §4.4, §4.5).
func TestProxyBadLinesCountLoggedWhenTheyEnd(t *testing.T) {
	t.Parallel()
	log, rec := recordingLogger()
	r := newRig(t, func(o *Options) { o.Log = log })
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	const n = 40
	if _, err := p.statusW.Write([]byte(strings.Repeat("{\n", n))); err != nil {
		t.Fatal(err)
	}
	if _, err := p.logW.Write([]byte(strings.Repeat("raw output\n", n))); err != nil {
		t.Fatal(err)
	}
	// every line counted, in the records of those logged, the counts they
	// carry and the count of the last second logged on its own
	counted := func(logged, carried, late string) int {
		text := rec.text()
		sum := strings.Count(text, logged)
		for _, re := range []*regexp.Regexp{regexp.MustCompile(carried), regexp.MustCompile(late)} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				k, _ := strconv.Atoi(m[1])
				sum += k
			}
		}
		return sum
	}
	status := func() int {
		return counted("proxy sent a bad status line", `bad status line \(and (\d+) more in the last second, not logged\)`,
			`(\d+) more bad status lines from proxy 'p' since the last such record, not logged`)
	}
	logs := func() int {
		return counted("proxy 'p' sent a bad log line", `bad log line \(and (\d+) more in the last second, not logged\)`,
			`(\d+) more bad log lines from proxy 'p' since the last such record, not logged`)
	}
	end := time.Now().Add(connWait)
	for status() != n || logs() != n {
		if time.Now().After(end) {
			t.Fatalf("%d bad status lines and %d bad log lines counted in the log, want %d of each:\n%s", status(), logs(), n, rec.text())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
