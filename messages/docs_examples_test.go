package messages

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The configuration lines of the documentation's examples parse: a user
// copies them as they are. Lines in a fenced block that start with a
// statement's word (service, socket, proxy, command) are parsed; a block
// that shows a refusal holds `ERROR` or `refused` and is skipped, and so
// is a line of syntax (its placeholders in capitals, its options in
// brackets, its comment in a column: `service NAME ATTR=VALUE`).
func TestDocsExamplesParse(t *testing.T) {
	for _, path := range []string{"../README.md", "../docs/REFERENCE.md", "../proxyproc/python/README.md"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for n, block := range fencedBlocks(string(b)) {
			if strings.Contains(block, "ERROR") || strings.Contains(block, "refused") {
				continue
			}
			for _, line := range strings.Split(block, "\n") {
				w, _, _ := strings.Cut(strings.TrimSpace(line), " ")
				switch w {
				case "service", "socket", "proxy", "command":
				default:
					continue
				}
				if placeholder.MatchString(line) || strings.ContainsAny(line, "[]") || strings.Contains(strings.TrimSpace(line), "   ") {
					continue
				}
				if _, err := Parse(line); err != nil {
					t.Errorf("%s, block %d: %q: %v", path, n+1, line, err)
				}
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\b[A-Z][A-Z_]{2,}\b`)

// fencedBlocks returns the text of each ``` block of a markdown text.
func fencedBlocks(md string) []string {
	var out []string
	var cur []string
	in := false
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			if in {
				out = append(out, strings.Join(cur, "\n"))
				cur = nil
			}
			in = !in
			continue
		}
		if in {
			cur = append(cur, l)
		}
	}
	return out
}
