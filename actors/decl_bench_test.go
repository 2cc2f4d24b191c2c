package actors

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/protocol"
	"github.com/sirupsen/logrus"
)

// BenchmarkPipelinedDeclarations: the whole path of a pipelined
// declaration (REFERENCE §1.5), console to controller and service actor:
// one admin connection writes rounds of 1,000 lines `service NAME
// cmd=sleep 1` (each name new) without reading, then reads the replies.
// cfkd's own log at info level through a log Router as cfkd's (the audit
// records written to a file); GOGC as cfkd's. Besides the rate, the CPU time of the
// process per declaration (cpu-ns/decl), which a busy machine disturbs
// less.
func BenchmarkPipelinedDeclarations(b *testing.B) {
	log := logrus.New()
	router := logconf.NewRouter(b.TempDir(), log, nil) // cfkd's log, as cfkd routes it
	defer router.Close()
	cfg, err := logconf.Parse("bench", strings.NewReader("level = info\nformat = text\ncfkd = file:cfkd.log\n"))
	if err != nil {
		b.Fatal(err)
	}
	if err := router.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	tree, err := Start(Options{Launcher: newFakeLauncher(), Log: log, ServiceLog: quietLogger(), Lines: router, Events: router,
		Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Stop()
	ln, err := net.Listen("unix", filepath.Join(b.TempDir(), "sock"))
	if err != nil {
		b.Fatal(err)
	}
	policy := &ConsolePolicy{AdminUIDs: []uint32{uint32(os.Getuid())}}
	if _, err := tree.System.Root.RequestFuture(tree.Controller, StartConsole{Listener: ln, Policy: policy}, deadline).Result(); err != nil {
		b.Fatal(err)
	}
	conn, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Minute))
	br := bufio.NewReaderSize(conn, 1<<20)
	const round = 1000
	var buf []byte
	debug.SetGCPercent(50) // cfkd's (daemon/run.go)
	defer debug.SetGCPercent(100)
	cpu0 := cpuTime()
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		buf = buf[:0]
		for i := range min(round, b.N-done) {
			buf = fmt.Appendf(buf, "service s%08d cmd=sleep 1\r\n", done+i)
		}
		go conn.Write(buf)
		for range min(round, b.N-done) {
			rep, err := protocol.ReadReply(br)
			if err != nil || rep.Err != nil {
				b.Fatal(err, rep.Err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decl/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/decl")
}

// cpuTime is the CPU the process has used (user and system): a figure a
// busy machine disturbs less than the elapsed time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
