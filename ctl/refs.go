package ctl

import (
	"strings"
	"unicode"
)

// selectors turns service references into the selectors of the command
// language (REFERENCE §1.4, §8): NAME → `service NAME`, @TAG → `tag TAG`,
// `all` → `all`. `all` anywhere makes the whole list `all`; a reference
// given twice is sent once. A reference that would not stay one word on the
// wire (empty, `@` alone, white space or control characters) is a usage
// error; whether it names anything is for cfkd to say.
func selectors(refs []string) ([]string, error) {
	var sels []string
	seen := map[string]bool{}
	for _, ref := range refs {
		if ref == "all" {
			return []string{"all"}, nil
		}
		var sel string
		if tag, ok := strings.CutPrefix(ref, "@"); ok {
			if !isWord(tag) {
				return nil, usageErrorf(nil, "invalid tag reference '%s'", ref)
			}
			sel = "tag " + tag
		} else {
			if !isWord(ref) {
				return nil, usageErrorf(nil, "invalid service reference '%s'", ref)
			}
			sel = "service " + ref
		}
		if !seen[sel] {
			seen[sel] = true
			sels = append(sels, sel)
		}
	}
	return sels, nil
}

// selectorsOrAll is selectors, with no reference meaning `all`.
func selectorsOrAll(refs []string) ([]string, error) {
	if len(refs) == 0 {
		return []string{"all"}, nil
	}
	return selectors(refs)
}

// isWord reports whether s is one word of the command language: not empty,
// no white space, no control character.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
