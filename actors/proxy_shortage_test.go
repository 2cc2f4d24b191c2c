package actors

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// An auto proxy that cannot be launched for want of cfkd's own fds (or a
// fork's EAGAIN) is cfkd's shortage, not its services' failure (REFERENCE
// §2.1, §4.5): the service waits in backoff, its reason cfkd's, its
// count of failed starts untouched, and is started again, which runs
// the proxy, once the fds are freed. It went to fail, never started
// again: a proxied service stayed down after a moment of fds short.
func TestProxyLaunchShortageBacksOff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	r.fake.mu.Lock()
	r.fake.failNext = []error{fmt.Errorf("pipe: %w", syscall.EMFILE), fmt.Errorf("fork: %w", syscall.EAGAIN)}
	r.fake.mu.Unlock()
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, backoff)
	info := r.info("service s")[0]
	if !strings.HasPrefix(info.LastError, "Proxy 'p' can't run: cfkd: too many open files") || info.Retries != 0 {
		t.Errorf("in backoff: last_error %q, retries %d; want cfkd's shortage, not counted", info.LastError, info.Retries)
	}
	r.expectSeq("s", starting, backoff) // the retry, 1 s later: a fork's EAGAIN
	if got := r.info("service s")[0].LastError; got != "Proxy 'p' can't run: cfkd: cannot fork: resource temporarily unavailable" {
		t.Errorf("last_error %q", got)
	}
	r.expectSeq("s", starting) // the next runs the proxy
	r.startProxied(nextProxy(t, proxies), "s", 700)
}
