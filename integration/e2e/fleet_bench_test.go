package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// BenchmarkFleetStatus (REFERENCE §12.8): `command fleet status` to a hub
// over three hosts of CFK_BENCH_N (1,000) running services each, p50 and
// p99 of CFK_BENCH_ROUNDS (200) rounds, next to the baseline: the same
// three `command status` sent to the hosts' admin sockets in parallel.
// Then the idle CPU of a host and of the hub over CFK_IDLE_SECS (20)
// seconds, every thread counted (schedstat). Out of make test:
//
//	go test -run '^$' -bench BenchmarkFleetStatus -benchtime 1x ./integration/e2e/
func BenchmarkFleetStatus(b *testing.B) {
	n, rounds, idleSecs := envInt("CFK_BENCH_N", 1000), envInt("CFK_BENCH_ROUNDS", 200), envInt("CFK_IDLE_SECS", 20)
	var conf strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&conf, "service s%d cmd=sleep 1000\nservice s%d startwait_secs=0.1\n", i, i)
	}
	conf.WriteString("command start all\n")
	r := startFleet(b, conf.String())
	for _, d := range r.hosts {
		c := d.dial()
		c.until("all running", func() bool {
			for _, l := range c.ok("command status") {
				if strings.Split(l, "\t")[1] != "running" {
					return false
				}
			}
			return true
		})
	}
	hub := dialPersistent(b, r.hub.sock)
	if rep := hub.do("command fleet status"); rep.Err != nil || len(rep.Lines) != 3*(n+1) {
		b.Fatalf("fleet status: %v, %d lines", rep.Err, len(rep.Lines))
	}
	fleet := make([]time.Duration, 0, rounds)
	for range rounds {
		start := time.Now()
		rep := hub.do("command fleet status")
		fleet = append(fleet, time.Since(start))
		if rep.Err != nil || len(rep.Lines) != 3*(n+1) {
			b.Fatalf("fleet status: %v, %d lines", rep.Err, len(rep.Lines))
		}
	}
	var hosts []*persistent
	for _, name := range []string{"web1", "web2", "web3"} {
		hosts = append(hosts, dialPersistent(b, r.hosts[name].sock))
	}
	base := make([]time.Duration, 0, rounds)
	for range rounds {
		start := time.Now()
		var wg sync.WaitGroup
		for _, h := range hosts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if rep := h.do("command status"); rep.Err != nil || len(rep.Lines) != n {
					b.Errorf("status: %v, %d lines", rep.Err, len(rep.Lines))
				}
			}()
		}
		wg.Wait()
		base = append(base, time.Since(start))
	}
	b.ReportMetric(ms(pct(fleet, 50)), "fleet-p50-ms")
	b.ReportMetric(ms(pct(fleet, 99)), "fleet-p99-ms")
	b.ReportMetric(ms(pct(base, 50)), "parallel-admin-p50-ms")
	b.ReportMetric(ms(pct(base, 99)), "parallel-admin-p99-ms")
	b.ReportMetric(float64(pct(fleet, 50))/float64(pct(base, 50)), "p50-ratio")

	hostPid, hubPid := r.hosts["web1"].cmd.Process.Pid, r.hub.cmd.Process.Pid
	time.Sleep(6 * time.Second) // cfkd trims its memory 5 s after the last start: not idle time
	h0, hub0 := threadsCPU(b, hostPid), threadsCPU(b, hubPid)
	time.Sleep(time.Duration(idleSecs) * time.Second)
	b.ReportMetric(ms(threadsCPU(b, hostPid)-h0), fmt.Sprintf("host-idle-cpu-ms/%ds", idleSecs))
	b.ReportMetric(ms(threadsCPU(b, hubPid)-hub0), fmt.Sprintf("hub-idle-cpu-ms/%ds", idleSecs))
	b.ReportMetric(0, "ns/op")
}

// threadsCPU is the CPU time of every thread of a process (schedstat).
func threadsCPU(b testing.TB, pid int) time.Duration {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		b.Skipf("no schedstat: %v", err)
	}
	var ns int64
	for _, f := range tasks {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var n int64
		fmt.Sscan(string(data), &n)
		ns += n
	}
	return time.Duration(ns)
}

// persistent is an admin connection kept for many requests.
type persistent struct {
	b    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialPersistent(b testing.TB, sock string) *persistent {
	c, err := net.Dial("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return &persistent{b: b, conn: c, r: bufio.NewReaderSize(c, 1<<20)}
}

func (p *persistent) do(line string) messages.Reply {
	if err := protocol.WriteRequest(p.conn, line); err != nil {
		p.b.Fatal(err)
	}
	rep, err := protocol.ReadReply(p.r)
	if err != nil {
		p.b.Fatal(err)
	}
	return rep
}
