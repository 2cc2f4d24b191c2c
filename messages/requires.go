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

// FromClosing says cycle (`a -> b -> a`, as AnyCycle says it) from the
// service of d whose requires were declared last of those on it, back to
// that service: the path from the declaration that closes it, as a
// declaration's refusal says it (REFERENCE §2.8, §1.7). A cycle with no
// service of d's is said as it is.
func (d Declarations) FromClosing(cycle string) string {
	names := strings.Split(cycle, " -> ")
	if len(names) < 3 {
		return cycle // `a -> a`
	}
	names = names[:len(names)-1]
	start, last := -1, -1
	for i, n := range names {
		if at, ok := d.RequiresAt[n]; ok && at > last {
			start, last = i, at
		}
	}
	if start <= 0 {
		return cycle
	}
	path := append(slices.Clone(names[start:]), names[:start]...)
	return strings.Join(append(path, path[0]), " -> ")
}
