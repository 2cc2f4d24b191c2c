package messages

import (
	"slices"
	"testing"
)

// The order of requires changes nothing: an apply of `requires=cache,db`
// over `requires=db,cache` planned `~ app: requires` and restarted app
// and its dependents. What it names still counts.
func TestRequiresComparedAsASet(t *testing.T) {
	a := ServiceConfig{Name: "app", Cmd: "x", Requires: []string{"db", "cache"}}
	b := a
	b.Requires = []string{"cache", "db"}
	if d := DiffService(a, b); len(d) != 0 {
		t.Fatalf("requires reordered: %q, want no change", d)
	}
	b.Requires = []string{"cache", "db", "queue"}
	if d := DiffService(a, b); !slices.Equal(d, []string{string(SvcRequires)}) {
		t.Fatalf("requires grown: %q, want requires", d)
	}
	b.Requires = []string{"db"}
	if d := DiffService(a, b); !slices.Equal(d, []string{string(SvcRequires)}) {
		t.Fatalf("requires shrunk: %q, want requires", d)
	}
}
