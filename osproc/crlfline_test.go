package osproc

import (
	"os"
	"path/filepath"
	"testing"
)

// crlfLine gives the "#!" line of a script saved with CRLF line ends
// (REFERENCE §2.1), found from the child's directory when relative, and
// "" for any other file; so does interpreter, of the head it reads.
func TestCRLFLine(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ text, want string }{
		"opt":    {"#!/bin/sh -e\r\nexit 0\r\n", "#!/bin/sh -e\r"},
		"blank":  {"#!/bin/sh \r\n", "#!/bin/sh \r"},
		"one":    {"#!/usr/bin/env python3\r", "#!/usr/bin/env python3\r"},
		"lf":     {"#!/bin/sh -e\nexit 0\r\n", ""},
		"text":   {"exit 0\r\n", ""},
		"empty":  {"", ""},
		"crlate": {"#!/bin/sh\nx\r\n", ""},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c.text), 0o755); err != nil {
			t.Fatal(err)
		}
		if got := crlfLine(filepath.Join(dir, name), ""); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
		if got := crlfLine("./"+name, dir); got != c.want {
			t.Errorf("./%s from %s: %q, want %q", name, dir, got, c.want)
		}
		// the look-up's read, which Launch takes instead when it looks
		if got, _ := interpreter(filepath.Join(dir, name), nil, nil, ""); got != c.want {
			t.Errorf("%s: interpreter's crlf %q, want %q", name, got, c.want)
		}
	}
	if got := crlfLine(dir, ""); got != "" {
		t.Errorf("a directory: %q", got)
	}
}
