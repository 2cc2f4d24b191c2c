package lifecycle

import (
	"fmt"
	"strings"
)

// Markdown renders the table for humans (REFERENCE §2.7): one line per
// event, one column per state, each cell the name of its row; then every
// row's name with what it does.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| event |")
	for _, st := range allStates {
		fmt.Fprintf(&b, " %s |", st)
	}
	b.WriteString("\n|---|")
	for range allStates {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for ev := EventKind(0); ev < numEvents; ev++ {
		fmt.Fprintf(&b, "| %s |", ev)
		for _, st := range allStates {
			fmt.Fprintf(&b, " %s |", table[st][ev].name)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nWhat each cell does:\n\n")
	seen := map[string]bool{}
	for ev := EventKind(0); ev < numEvents; ev++ {
		for _, st := range allStates {
			r := table[st][ev]
			key := r.name + "\x00" + r.doc
			if seen[key] {
				continue
			}
			seen[key] = true
			fmt.Fprintf(&b, "- **%s** (%s): %s\n", r.name, ev, r.doc)
		}
	}
	return b.String()
}
