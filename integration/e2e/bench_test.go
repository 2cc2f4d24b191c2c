package e2e

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/protocol"
)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkDaemon runs the real cfkd with N running services
// (CFK_BENCH_N, default 1000) and reports: the `command status` round trip
// from a persistent connection (p50, p99) next to a plain socket server
// answering the same bytes (the baseline, same run); cfkd's RSS, PSS and
// open fds; its CPU time over CFK_IDLE_SECS (default 20) idle seconds.
func BenchmarkDaemon(b *testing.B) {
	n, idleSecs := envInt("CFK_BENCH_N", 1000), envInt("CFK_IDLE_SECS", 20)
	home := filepath.Join(b.TempDir(), "home")
	d := startDaemon(b, home)
	c := d.dial()
	var conf strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&conf, "service s%d cmd=sleep 1000\nservice s%d startwait_secs=0.1\n", i, i)
		if os.Getenv("CFK_BENCH_IGNORE") != "" {
			fmt.Fprintf(&conf, "service s%d ignore_stdout=1\nservice s%d ignore_stderr=1\n", i, i)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(conf.String()), "\n") {
		c.ok(l)
	}
	c.ok("command start all")
	c.until("all running", func() bool {
		for _, l := range c.ok("command status") {
			if strings.Split(l, "\t")[1] != "running" {
				return false
			}
		}
		return true
	})
	pid := d.cmd.Process.Pid

	// status round trips, cfkd then the baseline
	rounds := envInt("CFK_BENCH_ROUNDS", 1000)
	cfk := roundTrips(b, d.sock, rounds)
	body := c.ok("command status")
	base := roundTrips(b, baselineServer(b, body), rounds)
	b.ReportMetric(ms(pct(cfk, 50)), "status-p50-ms")
	b.ReportMetric(ms(pct(cfk, 99)), "status-p99-ms")
	b.ReportMetric(ms(pct(base, 50)), "baseline-p50-ms")
	b.ReportMetric(ms(pct(base, 99)), "baseline-p99-ms")
	b.ReportMetric(float64(pct(cfk, 50))/float64(pct(base, 50)), "p50-ratio")

	rss, pss := memKB(pid)
	b.ReportMetric(float64(rss)/1024, "rss-MiB")
	b.ReportMetric(float64(pss)/1024, "pss-MiB")
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	b.ReportMetric(float64(len(fds)), "fds")

	before := procCPU(pid)
	time.Sleep(time.Duration(idleSecs) * time.Second) // the measurement window
	b.ReportMetric(ms(procCPU(pid)-before), fmt.Sprintf("idle-cpu-ms/%ds", idleSecs))
	rss, _ = memKB(pid)
	b.ReportMetric(float64(rss)/1024, "rss-after-idle-MiB")
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

// roundTrips times `command status` rounds on one persistent connection.
func roundTrips(b *testing.B, sock string, rounds int) []time.Duration {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 1<<20)
	out := make([]time.Duration, 0, rounds)
	for i := 0; i < rounds; i++ {
		start := time.Now()
		if err := protocol.WriteRequest(conn, "command status"); err != nil {
			b.Fatal(err)
		}
		if rep, err := protocol.ReadReply(r); err != nil || rep.Err != nil {
			b.Fatalf("status: %v %v", err, rep.Err)
		}
		out = append(out, time.Since(start))
	}
	return out
}

// baselineServer is a testkit.ReplyServer answering body: the cost of
// the socket and the framing alone.
func baselineServer(b *testing.B, body []string) string {
	sock := filepath.Join(b.TempDir(), "baseline.sock")
	ln, err := testkit.ReplyServer(sock, body)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	return sock
}

// memKB reads VmRSS and Pss of a process, in KiB.
func memKB(pid int) (rss, pss int) {
	field := func(file, key string) int {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, key) {
				f := strings.Fields(l)
				if len(f) >= 2 {
					n, _ := strconv.Atoi(f[1])
					return n
				}
			}
		}
		return 0
	}
	return field("status", "VmRSS:"), field("smaps_rollup", "Pss:")
}

// procCPU is the user+system CPU time of a process.
func procCPU(pid int) time.Duration {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
