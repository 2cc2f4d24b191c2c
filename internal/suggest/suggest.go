package suggest

// Closest is the one of names that name likely misspells: the only one
// it begins (3 bytes at least) or that begins it (5 at least), else the
// only nearest a letter or two away (2 edits for a name of 5 bytes or
// more, else 1); "" when none is.
func Closest(name string, names []string) string {
	if len(name) < 2 {
		return ""
	}
	prefixed, n := "", 0
	for _, c := range names {
		if len(name) >= 3 && len(name) < len(c) && c[:len(name)] == name ||
			len(c) >= 5 && len(c) < len(name) && name[:len(c)] == c { // respawn_on_failure
			prefixed, n = c, n+1
		}
	}
	if n == 1 {
		return prefixed
	}
	limit := 1
	if len(name) >= 5 {
		limit = 2
	}
	best, bestD, ties := "", limit+1, 0
	for _, c := range names {
		switch d := editDistance(name, c); {
		case d < bestD:
			best, bestD, ties = c, d, 1
		case d == bestD:
			ties++
		}
	}
	if ties > 1 {
		return "" // web: web1 or web2, none more than the other
	}
	return best
}

// editDistance is the number of edits from a to b, in bytes: a letter
// inserted, removed, changed, or two neighbours swapped (tial: tail).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
