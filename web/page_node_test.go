package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runPage runs the status page's script in node (testdata/page_harness.js:
// a minimal DOM, a fake fetch whose streams the scenario feeds) with a
// scenario, the body of an async function, and returns what it printed
// with h.out. It skips without node.
func runPage(t *testing.T, scenario string) string {
	t.Helper()
	return runPageAt(t, "", scenario)
}

// runPageAt is runPage with the page loaded at a URL whose fragment is
// hash ("#web"; the harness's location.hash).
func runPageAt(t *testing.T, hash, scenario string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node in PATH")
	}
	app, err := filepath.Abs("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "scenario.js")
	if err := os.WriteFile(script, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "testdata/page_harness.js", app, script)
	cmd.Env = append(os.Environ(), "CFK_PAGE_HASH="+hash)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "ERROR") {
		t.Fatalf("the scenario failed:\n%s", out)
	}
	return string(out)
}

// wantLines checks that out holds each line of want, in any order.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		have[l] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("missing %q in:\n%s", w, out)
		}
	}
}
