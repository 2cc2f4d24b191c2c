package actors

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// BenchmarkServiceMemory: the live heap a declared and running service
// costs the tree (the fake launcher: no osproc state, no pipes), in
// bytes per service (N = CFK_BENCH_N, default 2,000). With
// CFK_HEAPPROFILE=FILE it writes a heap profile of the N running
// services there, for `go tool pprof -sample_index=inuse_space`:
//
//	go test -run '^$' -bench ServiceMemory -benchtime 1x ./actors/
func BenchmarkServiceMemory(b *testing.B) {
	n := 2000
	if v := os.Getenv("CFK_BENCH_N"); v != "" {
		fmt.Sscan(v, &n)
	}
	if os.Getenv("CFK_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation: a precise profile
	}
	for b.Loop() {
		fake := newFakeLauncher()
		fake.setAutoTerm(true)
		tree, err := Start(Options{Launcher: fake, Log: quietLogger(), ServiceLog: quietLogger(), Env: []string{"PATH=/usr/bin:/bin"}})
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			for _, l := range []string{"service s%05d cmd=sleep 1000", "service s%05d startwait_secs=0.1"} {
				if rep := tree.Exec(fmt.Sprintf(l, i), deadline); rep.Err != nil {
					b.Fatal(rep.Err)
				}
			}
		}
		if rep := tree.Exec("command start all", time.Minute); rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != fmt.Sprintf("done %d", n) {
			b.Fatalf("start all: %v %q", rep.Err, rep.Lines)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/service")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(n), "stackB/service")
		if path := os.Getenv("CFK_HEAPPROFILE"); path != "" {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		if rep := tree.Exec("command stop all", time.Minute); rep.Err != nil {
			b.Fatal(rep.Err)
		}
		tree.Stop()
	}
}
