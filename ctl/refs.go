package ctl

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// selectors turns service references into the selectors of the command
// language (REFERENCE §1.4, §8): NAME → `service NAME`, @TAG → `tag TAG`,
// `all` → `all`. `all` anywhere makes the whole list `all`, the other
// references checked for their form all the same, wherever they stand;
// a reference given twice is sent once. A reference that no service can
// match (not a name cfkd declares, §1.1: empty, `@` alone, `-x`, white
// space, 70,000 bytes) is a usage error; whether a valid one names
// anything is for cfkd to say.
func selectors(refs []string) ([]string, error) {
	var sels []string
	seen := map[string]bool{}
	all := false
	for _, ref := range refs {
		if ref == "all" {
			// the references after it are checked too: `stop all @@`
			// stopped everything where `stop @@ all` was refused
			all = true
			continue
		}
		var sel string
		// a reference no service can match (a name cfkd refuses to
		// declare: `-x`, one of 70,000 bytes) is a usage error, before
		// anything is sent (REFERENCE §8.2)
		if tag, ok := strings.CutPrefix(ref, "@"); ok {
			if !messages.ValidTag(tag) || len(tag) > maxTag {
				rule := "a tag is letters, digits, _, . or -"
				if len(tag) > maxTag {
					rule = fmt.Sprintf("longer than any tag: %d bytes at most", maxTag)
				}
				return nil, usageErrorf(nil, "invalid tag reference '%s' (%s)", cut(ref), rule)
			}
			sel = "tag " + tag
		} else {
			if !validName(ref) {
				return nil, usageErrorf(nil, "invalid service reference '%s' (%s)", cut(ref), whyBad(ref))
			}
			sel = "service " + ref
		}
		if !seen[sel] {
			seen[sel] = true
			sels = append(sels, sel)
		}
	}
	if all {
		return []string{"all"}, nil
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

// nameRule says what a name is, for a usage error (REFERENCE §1.1).
const nameRule = "a name is a letter or _, then letters, digits, _ or -"

// maxName is the longest name a declaration can carry: a request line
// is at most protocol.MaxLine bytes (REFERENCE §1.5), and the shortest
// declaration of a name is `proxy NAME cmd=` (a service's or a socket's
// is longer). A longer name is no service's, socket's or proxy's, and
// a reference to it a usage error (REFERENCE §8.2), not a request cfkctl
// cannot write. maxTag likewise, for `service a tags=TAG` (§1.1).
const (
	maxName = protocol.MaxLine - len("proxy  cmd=")
	maxTag  = protocol.MaxLine - len("service a tags=")
)

// whyBad says why name is no name, for a usage error.
func whyBad(name string) string {
	if len(name) > maxName && messages.ValidName(name) {
		return fmt.Sprintf("longer than any name: %d bytes at most", maxName)
	}
	return nameRule
}

// validName reports whether a service, socket or proxy can bear name:
// its form (§1.1), and a length a declaration can carry (maxName).
func validName(name string) bool {
	return len(name) <= maxName && messages.ValidName(name)
}

// cut is a reference as a usage error quotes it: 64 bytes at most.
func cut(ref string) string {
	if len(ref) <= 64 {
		return ref
	}
	return strings.ToValidUTF8(ref[:64], "") + "..."
}

// badName is the usage error of an invalid name of a service or socket.
func badName(what, name string) error {
	return usageErrorf(nil, "invalid %s name '%s' (%s)", what, cut(name), whyBad(name))
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
