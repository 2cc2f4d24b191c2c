package messages

import (
	"slices"
	"strings"

	"github.com/cfk/cfk/internal/cmdline"
)

// AttributeInValue reads a `service NAME ATTR=VALUE` line that parses
// and returns, when a word of its VALUE is another attribute's
// `ATTR2=...`, that word: `service w cmd=sleep 1 tags=web` makes cmd
// `sleep 1 tags=web` (a line sets one attribute, the rest of the line
// its value: REFERENCE §1.1), where a user of an INI or a unit file
// meant two attributes. It is no error (a program may take `user=x` as
// an argument): cfkctl load and apply, and cfkd -c, warn of it
// (REFERENCE §8.2, §7.4). A list value (`cmd=["a","b"]`), a word
// quoted, a cmd's program and a cmd run by a shell are never read so.
// name and attr are the line's; word is "" for any other line.
func AttributeInValue(line string) (name, attr, word string) {
	d, ok := ParseServiceLine(line)
	if !ok || d.Value.Str == "" {
		return "", "", ""
	}
	if _, rest := splitWord(Clean(line)); strings.ContainsAny(firstByte(rest), `"'`) {
		return "", "", "" // a value quoted whole: as meant
	}
	fields := strings.Fields(d.Value.Str)
	words := fields
	if d.Attr == SvcCmd {
		// the words of the argv (a quoted word or a shell's string is
		// none), not its program, written unquoted
		argv, err := cmdline.Argv(d.Value.Str, nil)
		if err != nil || cmdline.NeedsShell(d.Value.Str) {
			return "", "", ""
		}
		words = argv[1:]
	}
	for _, w := range words {
		k, _, eq := strings.Cut(w, "=")
		if _, known := serviceAttrs[ServiceAttr(k)]; eq && known && slices.Contains(fields, w) {
			return d.Service, string(d.Attr), w
		}
	}
	return "", "", ""
}

// AttributeInValueWarning is what cfkctl and cfkd say of such a line.
func AttributeInValueWarning(name, attr, word string) string {
	k, _, _ := strings.Cut(word, "=")
	return "'" + word + "' is part of the value of " + attr + ": a line sets one attribute, the rest of the line its value; " +
		"to set " + k + ", write 'service " + name + " " + word + "' on a line of its own"
}

// firstByte is the first byte of the value of a declaration (what
// follows ATTR= and white space), as a string; "" when none.
func firstByte(decl string) string {
	_, _, raw, ok := cutDecl(decl)
	if raw = strings.TrimLeft(raw, spaceChars); !ok || raw == "" {
		return ""
	}
	return raw[:1]
}
