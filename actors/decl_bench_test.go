package actors

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
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
	conn, _ := consoleOf(b, tree, StartConsole{Policy: &ConsolePolicy{AdminUIDs: []uint32{uint32(os.Getuid())}}})
	conn.SetDeadline(time.Now().Add(10 * time.Minute))
	br := bufio.NewReaderSize(conn, 1<<20)
	const round = 1000
	var buf []byte
	debug.SetGCPercent(50) // cfkd's once its live heap passes 8 MiB, as the declarations make it (daemon/gcpolicy.go)
	defer debug.SetGCPercent(100)
	cpu0 := testkit.CPUTime()
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
	b.ReportMetric(float64(testkit.CPUTime()-cpu0)/float64(b.N), "cpu-ns/decl")
}
