package integration

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
	"golang.org/x/sys/unix"
)

// TestProxyLogLinesAreWholeWrites: every proxy writes each log line whole,
// in one write of at most PIPE_BUF bytes, and a long line of a service in
// pieces of one log line each (REFERENCE §4.6 step 5, §6.4): the original
// cfkd reads the pipe with a readline that takes the part of a line in the
// pipe for a whole line. The pipe is left full first, so that a write
// finds less room than it holds. The Python proxy cut a long line in 16
// KiB pieces, each one log line of 16 KiB, and wrote its buffer with
// writes that the full pipe cut anywhere: a read of the pipe ended inside
// a line.
func TestProxyLogLinesAreWholeWrites(t *testing.T) {
	dir := t.TempDir()
	proxies := map[string][]string{
		"cfk-proxy": {buildCfkProxy(t, dir)},
		"python":    pythonProxy(t, dir, "json"),
	}
	for _, name := range []string{"cfk-proxy", "python"} {
		t.Run(name, func(t *testing.T) { proxyLogLinesAreWholeWrites(t, proxies[name]) })
	}
}

func proxyLogLinesAreWholeWrites(t *testing.T, argv []string) {
	const long = 300000
	p, logR := startProxyRawLog(t, argv)
	// a command that does not parse, logged back: a long line of the
	// proxy's own, cut too
	p.send(strings.Repeat("x", 10000))
	p.start(proxywire.Command{Name: "s", Cmd: `head -c 300000 /dev/zero | tr '\0' x; echo; echo end; exec sleep 30`})
	p.waitStatus("s", "started")
	// the pipe full, or as full as whole lines of PIPE_BUF leave it
	rc, err := logR.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	queued := func() (n int) {
		var ierr error
		if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) }); err != nil || ierr != nil {
			t.Fatal(err, ierr)
		}
		return n
	}
	// full: 48 KiB at least, and no more coming for 100 ms (a pipe's 16
	// pages can be taken before its 64 KiB are)
	end := time.Now().Add(deadline)
	for n, same, at := queued(), 0, time.Now(); n < 48<<10 || time.Since(at) < 100*time.Millisecond; same = n {
		if time.Now().After(end) {
			t.Fatalf("the log pipe holds %d bytes after %v, want it full", n, deadline)
		}
		time.Sleep(5 * time.Millisecond)
		if n = queued(); n != same {
			at = time.Now()
		}
	}
	// each Read is one read(2), which takes all the pipe holds
	var all []byte
	buf := make([]byte, 1<<20)
	logR.SetReadDeadline(time.Now().Add(deadline))
	for !bytes.Contains(all, []byte("\nout:s:end\n")) {
		n, err := logR.Read(buf)
		if err != nil {
			t.Fatalf("read: %v, after %d bytes", err, len(all))
		}
		if buf[n-1] != '\n' {
			t.Fatalf("a read of the pipe ended inside a line, after %d bytes: %q", len(all)+n, buf[max(0, n-40):n])
		}
		all = append(all, buf[:n]...)
	}
	room := proxywire.LogRoom(proxywire.StreamOut, "s")
	var pieces []int
	own := 0
	for _, l := range strings.SplitAfter(string(all), "\n") {
		if len(l) > proxywire.PipeBuf {
			t.Errorf("a log line of %d bytes, more than PIPE_BUF (%d)", len(l), proxywire.PipeBuf)
		}
		if strings.HasPrefix(l, "err:-:") {
			own += strings.Count(l, "x")
		}
		if msg, ok := strings.CutPrefix(l, "out:s:"); ok && msg != "end\n" {
			pieces = append(pieces, len(strings.TrimSuffix(msg, "\n")))
		}
	}
	total := 0
	for i, n := range pieces {
		total += n
		if i < len(pieces)-1 && n != room {
			t.Errorf("piece %d of %d is %d bytes, want %d", i+1, len(pieces), n, room)
		}
	}
	if own < 10000 {
		t.Errorf("the proxy's own lines quote %d bytes of the bad command, want its 10000", own)
	}
	if total != long {
		t.Errorf("%d bytes of the line in %d pieces, want %d", total, len(pieces), long)
	}
}
