package messages

import (
	"slices"
	"strings"
)

// AnyCycle returns a cycle of graph (each service name mapped to the
// names it requires), as `a -> b -> a`, or "" when there is none
// (REFERENCE §2.8). It walks the names in name order, each once (a depth
// first search that colours them: linear in the graph), and says the
// first cycle it finds: an apply's file and an upgrade's state are
// checked alike.
func AnyCycle(graph map[string][]string) string {
	const (
		unseen = iota
		onPath
		done
	)
	mark := make(map[string]int, len(graph))
	var path []string
	var visit func(n string) string
	visit = func(n string) string {
		switch mark[n] {
		case onPath:
			return strings.Join(append(path[slices.Index(path, n):], n), " -> ")
		case done:
			return ""
		}
		mark[n] = onPath
		path = append(path, n)
		for _, r := range graph[n] {
			if cycle := visit(r); cycle != "" {
				return cycle
			}
		}
		path = path[:len(path)-1]
		mark[n] = done
		return ""
	}
	names := make([]string, 0, len(graph))
	for name := range graph {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if cycle := visit(name); cycle != "" {
			return cycle
		}
	}
	return ""
}
