package fleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// BenchmarkFleetStatusInProcess: `fleet status` of three hosts of 1,000
// services, members in one process (no cfkd: the fleet's own cost).
func BenchmarkFleetStatusInProcess(b *testing.B) {
	tf := newTestFleet(b, "web1", "web2", "web3")
	lines := make([]string, 1000)
	for i := range lines {
		lines[i] = fmt.Sprintf("s%d\trunning\t%d\t1795274153\t\t\t\tsleep 1000", i, 10000+i)
	}
	for _, l := range tf.locals {
		l.status = lines
	}
	st, _ := messages.Parse("command fleet status")
	b.ResetTimer()
	for range b.N {
		ch := make(chan messages.Reply, 1)
		tf.hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
		select {
		case r := <-ch:
			if len(r.Lines) != 3003 {
				b.Fatalf("%d lines", len(r.Lines))
			}
		case <-time.After(10 * time.Second):
			b.Fatal("no reply")
		}
	}
}
