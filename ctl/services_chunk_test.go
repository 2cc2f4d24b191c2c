package ctl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cfk/cfk/protocol"
)

// A verb whose references are too many for one request (chunkedCalls)
// asked `command status tag T` twice per tag reference: once to check
// that it selects a service, once to send each service once. It asks
// once now, and sends the references in requests that fit.
func TestChunkedVerbAsksEachTagOnce(t *testing.T) {
	const n = 1600 // "service " and 41 bytes each: two requests' worth
	names := make([]string, n)
	refs := []string{"@web"}
	for i := range names {
		names[i] = fmt.Sprintf("a-service-with-a-rather-long-name-%06d", i)
		refs = append(refs, names[i])
	}
	web := []string{"w1", "w2"}
	replies := map[string]string{
		"command list":           ok(append(append([]string{}, names...), web...)...),
		"command status tag web": ok("w1\trunning\t\t\t", "w2\trunning\t\t\t"),
	}
	// the requests chunkedCalls sends: the tag, then the names, in
	// requests of at most protocol.MaxLine bytes
	var chunks []string
	line := "command stop tag web"
	for _, name := range names {
		if len(line)+len(" service ")+len(name) > protocol.MaxLine {
			chunks, line = append(chunks, line), "command stop"
		}
		line += " service " + name
	}
	chunks = append(chunks, line)
	if len(chunks) != 2 {
		t.Fatalf("%d requests, want a test of 2", len(chunks))
	}
	replies[chunks[0]] = ok("done 3")
	replies[chunks[1]] = ok("done 5")
	f := newFakeServer(t, replies)

	r := runCtl(t, f, runCfg{}, append([]string{"--json", "stop"}, refs...)...)
	if r.code != 0 || r.stderr != "" || r.stdout != `{"ok":true,"lines":["done 8"]}`+"\n" {
		t.Fatalf("stop: %+v, want done 8 (3 + 5)", r)
	}
	asked := 0
	sent := 0
	for _, req := range f.requests() {
		switch {
		case req == "command status tag web":
			asked++
		case strings.HasPrefix(req, "command stop"):
			sent++
		}
	}
	if asked != 1 || sent != 2 {
		t.Fatalf("asked the tag's services %d times, sent %d requests; want 1 and 2: %d requests", asked, sent, len(f.requests()))
	}
}
