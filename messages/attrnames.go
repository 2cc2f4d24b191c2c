package messages

import (
	"slices"
	"sort"
)

// AttributeNames are the attributes of the service, socket and proxy
// statements, sorted, each once: what cfkctl offers for one misspelt
// (`invalid property 'cwdd'`: cwd).
func AttributeNames() []string {
	var out []string
	for a := range serviceAttrs {
		out = append(out, string(a))
	}
	for a := range socketAttrs {
		out = append(out, string(a))
	}
	for a := range proxyAttrs {
		out = append(out, string(a))
	}
	sort.Strings(out)
	return slices.Compact(out)
}
